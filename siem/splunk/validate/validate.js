#!/usr/bin/env node
// Validates Dashboard Studio views (the JSON definition inside
// <dashboard version="2"><definition><![CDATA[...]]></definition>) against
// Splunk's own schemas, from Splunk's npm packages: the dashboard definition
// schema of @splunk/dashboard-definition, and for each visualization the
// options schema of its type from @splunk/visualization-schemas (unknown
// options refused, as the Studio editor flags them). Usage:
//   node validate.js view.xml...
// Prints one line per problem and exits 1 if there is any.
'use strict';

const fs = require('fs');
const Ajv = require('ajv');
const { defaultSchema } = require('@splunk/dashboard-definition');
const vizSchemas = require('@splunk/visualization-schemas');

// A table's columnFormat entries accept any key in Splunk's schema; refuse
// the unknown ones too, so a misspelt colouring is caught.
const tableOptions = JSON.parse(JSON.stringify(vizSchemas.tableOptionsSchema));
tableOptions.columnFormat.patternProperties['.*'].additionalProperties = false;

// The visualization types the app may use, with their options schema.
const optionsSchemas = {
    'splunk.area': vizSchemas.areaOptionsSchema,
    'splunk.bar': vizSchemas.barOptionsSchema,
    'splunk.column': vizSchemas.columnOptionsSchema,
    'splunk.line': vizSchemas.lineOptionsSchema,
    'splunk.pie': vizSchemas.pieOptionsSchema,
    'splunk.singlevalue': vizSchemas.singleValueOptionsSchema,
    'splunk.table': tableOptions,
    'splunk.markdown': vizSchemas.markdownOptionsSchema,
    'splunk.events': vizSchemas.eventsOptionsSchema,
};

const ajv = new Ajv({ strict: false, allErrors: true });
const validateDefinition = ajv.compile(defaultSchema);
const validateOptions = {};
for (const [type, props] of Object.entries(optionsSchemas)) {
    validateOptions[type] = ajv.compile({
        type: 'object',
        properties: vizSchemas.enhanceOptionsSchemaWithDynamicOptions(props),
        additionalProperties: false,
    });
}

function definitionOf(file) {
    const xml = fs.readFileSync(file, 'utf8');
    const m = xml.match(/<definition><!\[CDATA\[([\s\S]*?)\]\]><\/definition>/);
    if (!m) {
        throw new Error('no <definition><![CDATA[...]]></definition>');
    }
    return JSON.parse(m[1]);
}

function problems(def) {
    const out = [];
    if (!validateDefinition(def)) {
        for (const e of validateDefinition.errors) {
            out.push(`definition${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
        }
    }
    for (const [name, viz] of Object.entries(def.visualizations || {})) {
        const validate = validateOptions[viz.type];
        if (!validate) {
            out.push(`visualizations.${name}: type ${viz.type} is not one of ${Object.keys(optionsSchemas).join(', ')}`);
            continue;
        }
        if (!validate(viz.options || {})) {
            for (const e of validate.errors) {
                out.push(`visualizations.${name}.options${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
            }
        }
    }
    return out;
}

let failed = false;
for (const file of process.argv.slice(2)) {
    let found;
    try {
        found = problems(definitionOf(file));
    } catch (err) {
        found = [err.message];
    }
    for (const p of found) {
        console.log(`${file}: ${p}`);
        failed = true;
    }
}
if (process.argv.length < 3) {
    console.log('usage: node validate.js view.xml...');
    failed = true;
}
process.exit(failed ? 1 : 0);

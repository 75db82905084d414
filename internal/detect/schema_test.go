package detect

import (
	"fmt"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/google/uuid"
)

// validateSchema checks v (decoded YAML or JSON) against a JSON Schema
// (draft 2020-12) and returns the violations, each with its path. It
// implements the keywords the Sigma schemas use: type, required,
// properties, additionalProperties, items, anyOf, oneOf, allOf, if/then,
// const, enum, pattern, minLength, maxLength, format uuid, uniqueItems.
// Unknown keywords are ignored, as a validator must.
func validateSchema(schema map[string]any, v any, path string) []string {
	var errs []string
	fail := func(format string, a ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, a...)) }
	if t, ok := schema["type"].(string); ok && !hasType(v, t) {
		fail("want %s, got %T", t, v)
		return errs
	}
	if c, ok := schema["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		fail("want %v, got %v", c, v)
	}
	if e, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return fmt.Sprint(x) == fmt.Sprint(v) }) {
		fail("%v not in %v", v, e)
	}
	errs = append(errs, validateString(schema, v, path)...)
	errs = append(errs, validateCombinators(schema, v, path)...)
	switch x := v.(type) {
	case map[string]any:
		errs = append(errs, validateObject(schema, x, path)...)
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range x {
				errs = append(errs, validateSchema(items, it, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
		if schema["uniqueItems"] == true {
			seen := map[string]bool{}
			for _, it := range x {
				if k := fmt.Sprint(it); seen[k] {
					fail("duplicate item %v", it)
				} else {
					seen[k] = true
				}
			}
		}
	}
	return errs
}

func validateString(schema map[string]any, v any, path string) []string {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	var errs []string
	n := utf8.RuneCountInString(s)
	if m, ok := schema["maxLength"].(float64); ok && float64(n) > m {
		errs = append(errs, fmt.Sprintf("%s: longer than %v", path, m))
	}
	if m, ok := schema["minLength"].(float64); ok && float64(n) < m {
		errs = append(errs, fmt.Sprintf("%s: shorter than %v", path, m))
	}
	if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(s) {
		errs = append(errs, fmt.Sprintf("%s: %q does not match %s", path, s, p))
	}
	if schema["format"] == "uuid" {
		if _, err := uuid.Parse(s); err != nil || len(s) != 36 {
			errs = append(errs, fmt.Sprintf("%s: %q is not a UUID", path, s))
		}
	}
	return errs
}

func validateCombinators(schema map[string]any, v any, path string) []string {
	var errs []string
	matches := func(key string) (n, of int) {
		subs, _ := schema[key].([]any)
		for _, s := range subs {
			if len(validateSchema(s.(map[string]any), v, path)) == 0 {
				n++
			}
		}
		return n, len(subs)
	}
	if n, of := matches("anyOf"); of > 0 && n == 0 {
		errs = append(errs, path+": matches none of anyOf")
	}
	if n, of := matches("oneOf"); of > 0 && n != 1 {
		errs = append(errs, fmt.Sprintf("%s: matches %d of oneOf, want 1", path, n))
	}
	all, _ := schema["allOf"].([]any)
	for _, s := range all {
		errs = append(errs, validateSchema(s.(map[string]any), v, path)...)
	}
	if cond, ok := schema["if"].(map[string]any); ok && len(validateSchema(cond, v, path)) == 0 {
		if then, ok := schema["then"].(map[string]any); ok {
			errs = append(errs, validateSchema(then, v, path)...)
		}
	}
	return errs
}

func validateObject(schema map[string]any, x map[string]any, path string) []string {
	var errs []string
	req, _ := schema["required"].([]any)
	for _, r := range req {
		if _, ok := x[r.(string)]; !ok {
			errs = append(errs, fmt.Sprintf("%s: %s is required", path, r))
		}
	}
	props, _ := schema["properties"].(map[string]any)
	for k, val := range x {
		switch sub, ok := props[k].(map[string]any); {
		case ok:
			errs = append(errs, validateSchema(sub, val, path+"."+k)...)
		case schema["additionalProperties"] == false:
			errs = append(errs, fmt.Sprintf("%s: %s is not allowed", path, k))
		default:
			if add, ok := schema["additionalProperties"].(map[string]any); ok {
				errs = append(errs, validateSchema(add, val, path+"."+k)...)
			}
		}
	}
	return errs
}

// hasType reports whether v is of the JSON type t.
func hasType(v any, t string) bool {
	switch v.(type) {
	case string:
		return t == "string"
	case map[string]any:
		return t == "object"
	case []any:
		return t == "array"
	case int, int64, uint64:
		return t == "integer" || t == "number"
	case float64:
		return t == "number" || t == "integer" && v.(float64) == float64(int64(v.(float64)))
	case bool:
		return t == "boolean"
	case nil:
		return t == "null"
	}
	return false
}

package sinks

import (
	"context"
	"fmt"
	"net/http"
)

// TemplateName is the index template Setup installs.
const TemplateName = "pigment-audit"

// indexTemplate maps the ECS documents of internal/transform for the
// logs-pigment.audit-* and logs-pigment.alert-* data streams. Its priority
// (200) beats the built-in logs-*-* template (100). The original event
// lives under pigment.* as a flattened field: searchable by exact value
// without a mapping explosion from open-ended payloads. Other strings map
// to keyword, as ECS does. Every field transform.ECSFields lists is mapped
// here with its ECS type (internal/transform's TestTemplateMapsECSFields),
// so Kibana's dashboards never meet an unmapped or mistyped field.
const indexTemplate = `{
  "index_patterns": ["logs-pigment.audit-*", "logs-pigment.alert-*"],
  "data_stream": {},
  "priority": 200,
  "_meta": {"description": "Pigment audit events and alerts (ECS), installed by forward setup"},
  "template": {
    "settings": {"index": {"codec": "best_compression"}},
    "mappings": {
      "dynamic_templates": [
        {"strings_as_keyword": {"match_mapping_type": "string", "mapping": {"type": "keyword", "ignore_above": 1024}}}
      ],
      "properties": {
        "@timestamp": {"type": "date"},
        "message": {"type": "match_only_text"},
        "tags": {"type": "keyword"},
        "data_stream": {"properties": {
          "type": {"type": "constant_keyword"},
          "dataset": {"type": "constant_keyword"},
          "namespace": {"type": "constant_keyword"}
        }},
        "ecs": {"properties": {"version": {"type": "keyword"}}},
        "event": {"properties": {
          "id": {"type": "keyword"},
          "action": {"type": "keyword"},
          "category": {"type": "keyword"},
          "type": {"type": "keyword"},
          "kind": {"type": "keyword"},
          "outcome": {"type": "keyword"},
          "provider": {"type": "keyword"},
          "dataset": {"type": "keyword"},
          "module": {"type": "keyword"},
          "severity": {"type": "long"},
          "risk_score": {"type": "float"},
          "created": {"type": "date"},
          "ingested": {"type": "date"},
          "start": {"type": "date"},
          "end": {"type": "date"},
          "original": {"type": "keyword", "index": false, "doc_values": false}
        }},
        "user": {"properties": {
          "id": {"type": "keyword"},
          "email": {"type": "keyword"},
          "name": {"type": "keyword", "fields": {"text": {"type": "match_only_text"}}},
          "full_name": {"type": "keyword", "fields": {"text": {"type": "match_only_text"}}},
          "domain": {"type": "keyword"},
          "roles": {"type": "keyword"},
          "target": {"properties": {
            "id": {"type": "keyword"},
            "email": {"type": "keyword"},
            "name": {"type": "keyword", "fields": {"text": {"type": "match_only_text"}}},
            "roles": {"type": "keyword"}
          }}
        }},
        "source": {"properties": {
          "ip": {"type": "ip"},
          "address": {"type": "keyword"},
          "geo": {"properties": {
            "country_iso_code": {"type": "keyword"},
            "country_name": {"type": "keyword"}
          }}
        }},
        "related": {"properties": {
          "user": {"type": "keyword"},
          "ip": {"type": "ip"}
        }},
        "organization": {"properties": {"id": {"type": "keyword"}, "name": {"type": "keyword"}}},
        "service": {"properties": {"id": {"type": "keyword"}, "name": {"type": "keyword"}}},
        "rule": {"properties": {
          "id": {"type": "keyword"},
          "name": {"type": "keyword"},
          "description": {"type": "match_only_text"},
          "reference": {"type": "keyword"}
        }},
        "threat": {"properties": {
          "framework": {"type": "keyword"},
          "technique": {"properties": {"id": {"type": "keyword"}, "name": {"type": "keyword"}}}
        }},
        "pigment": {"type": "flattened", "ignore_above": 8191}
      }
    }
  }
}`

// IndexTemplate returns the index template JSON Setup installs.
func IndexTemplate() []byte { return []byte(indexTemplate) }

// Setup installs (or replaces with the same content) the pigment-audit
// index template, so running it again is harmless. It returns ErrAuth
// (wrapped) on 401/403 and an error with Elasticsearch's reason otherwise.
func (e *Elastic) Setup(ctx context.Context) error {
	ans, err := e.request(ctx, http.MethodPut, e.base+"/_index_template/"+TemplateName,
		"application/json", []byte(indexTemplate))
	switch {
	case err != nil:
		return fmt.Errorf("elastic: install index template %s: %w", TemplateName, err)
	case isAuthStatus(ans.status):
		return fmt.Errorf("elastic: install index template %s: %s: %w", TemplateName, esReason(ans), ErrAuth)
	case statusOutcome(ans.status) == misconfigured:
		return fmt.Errorf("elastic: install index template %s: %s: %w", TemplateName, esReason(ans), ErrMisconfigured)
	case statusOutcome(ans.status) != Delivered:
		return fmt.Errorf("elastic: install index template %s: %s", TemplateName, esReason(ans))
	}
	return nil
}

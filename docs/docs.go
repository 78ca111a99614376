// Package docs holds the booking API's description, docs/openapi.yaml, embedded in the binary
// (served at /api/v1/openapi.yaml, and what the API's tests hold the routes to).
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml: the OpenAPI 3.1 description of the booking API.
//
//go:embed openapi.yaml
var OpenAPI []byte

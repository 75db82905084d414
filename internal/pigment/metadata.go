package pigment

// The Metadata API's records (GET /api/v1/applications, /blocks,
// /importConfigurations, /views): the workspace's structure, which the
// inventory snapshots. Both shapes Pigment is documented with are read into
// these: plain arrays (Pigment's OpenAPI) and wrapped objects
// ({"applications": [...]}, blocks with "dimensions"; see
// ../shared/pigment-api-notes.md).

// Application is one application of the workspace.
type Application struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// CreatedAt and ModifiedAt are as sent (RFC 3339), empty when the
	// answer has none (Pigment's OpenAPI shape).
	CreatedAt  string `json:"createdAt,omitempty"`
	ModifiedAt string `json:"modifiedAt,omitempty"`
}

// Block is one block of an application: "Metric", "DimensionList",
// "TransactionList", "Table", or another type Pigment adds.
type Block struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
	// Dimensions are the block's dimensions when the answer carries them;
	// HasDimensions says whether it did. A block without them has an
	// unknown dimensionality, never zero.
	Dimensions    []string `json:"dimensions,omitempty"`
	HasDimensions bool     `json:"hasDimensions"`
}

// ImportConfiguration is one import configuration of a block.
type ImportConfiguration struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// View is one view of a block: "Public" or "Personal".
type View struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

package report

import (
	"errors"
	"io"
)

// RenderHTML writes d as one self-contained HTML page.
func RenderHTML(w io.Writer, d *Document) error {
	return errors.New("html report: not built yet")
}

package report

import (
	"context"
	"errors"
)

// PrintPDF prints the HTML file at htmlPath to a PDF at pdfPath through a
// headless browser.
func PrintPDF(ctx context.Context, htmlPath, pdfPath string) error {
	return errors.New("pdf report: not built yet")
}

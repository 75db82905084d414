package report

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// ErrNoBrowser is returned (wrapped) when no headless browser can be found:
// the caller can say how to install one, or fall back to HTML only.
var ErrNoBrowser = errors.New("no chromium browser")

// browserNames are looked up on PATH, in this order.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// FindBrowser returns the browser to print with: override when it is set
// (it must be an executable file), otherwise the first of chromium,
// chromium-browser, google-chrome found on PATH. The error wraps
// ErrNoBrowser and names what was looked for.
func FindBrowser(override string) (string, error) {
	if override != "" {
		if fi, err := os.Stat(override); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%w: CHROMIUM_PATH=%s is not an executable file (install Debian's chromium, or point CHROMIUM_PATH at one)", ErrNoBrowser, override)
		}
		return override, nil
	}
	for _, name := range browserNames {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("%w: none of %v on PATH (install it with apt-get install chromium, or set CHROMIUM_PATH)", ErrNoBrowser, browserNames)
}

// newBrowser starts a headless browser at path and returns a context for
// its first tab; cancel ends the browser and waits for its process, so no
// browser outlives its caller. The browser starts with networking features
// off: a report needs nothing from outside itself.
func newBrowser(ctx context.Context, path string) (context.Context, context.CancelFunc) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1280, 1024),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	return tabCtx, func() {
		cancelTab()
		cancelAlloc()
	}
}

package compliance

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The framework page in Debian's Chromium (hack/report/deps.sh; the test skips without
// it, and fails in CI): its style sheet passes its own policy, nothing in it runs, and
// the hostile finding reads as text.
func TestHTMLInBrowser(t *testing.T) {
	path := os.Getenv("KHARDEN_CHROMIUM")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found: run hack/report/deps.sh (or set KHARDEN_CHROMIUM)")
		}
		t.Skip("chromium not found: run hack/report/deps.sh")
	}
	var buf bytes.Buffer
	if err := Write(&buf, evaluated(t), "html"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cis.html")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true))...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	defer cancelTimeout()
	var mu sync.Mutex
	var said []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			said = append(said, "console."+string(ev.Type))
		case *runtime.EventExceptionThrown:
			said = append(said, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			said = append(said, "log: "+ev.Entry.Text)
		case *page.EventJavascriptDialogOpening:
			said = append(said, "dialog: "+ev.Message)
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{})
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file)); err != nil {
		t.Fatal(err)
	}
	// The style applied (a policy violation would leave the badge unstyled), the finding
	// is text, and the page made no element of it.
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[getComputedStyle(document.querySelector('span.st-fail')).backgroundColor,
		document.querySelector('details.st-fail td:last-child').textContent,
		String(document.querySelectorAll('img, script').length)]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "rgb(207, 34, 46)" || got[1] != evil || got[2] != "0" {
		t.Errorf("page: fail badge colour, finding text, img and script elements = %q", got)
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(said) > 0 {
		t.Errorf("the page reported: %s", strings.Join(said, "\n"))
	}
}

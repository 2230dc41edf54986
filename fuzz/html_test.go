package fuzz_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/wahook/wahook/fuzz"
	"github.com/wahook/wahook/schemas"
)

// TestHTMLReport fuzzes a receiver that answers a location with a string latitude by echoing markup
// back in a 500, and parses the HTML report: a section per finding with its minimised payload and
// the marked trigger, a timeline, no script but the report's own, no event handler, and the answer
// as text.
func TestHTMLReport(t *testing.T) {
	const answer = `</pre><script>window.pwned=1</script><img src=x onerror="window.pwned=1">` + "\u2028\xff"
	rep := run(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc, _ := decoded(r)
		if m, _ := doc.(map[string]any); m != nil {
			if msg, _ := m["message"].(map[string]any); msg != nil {
				if loc, _ := msg["location"].(map[string]any); loc != nil {
					if _, ok := loc["latitude"].(bool); ok {
						w.WriteHeader(http.StatusInternalServerError)
						_, _ = w.Write([]byte(answer))
					}
				}
			}
		}
	}), schemas.ITNIOTech, fuzz.Options{Seed: 1, Count: 400, Workers: 2})
	require.NotEmpty(t, rep.Findings)
	require.NotEmpty(t, rep.Timeline)

	var page bytes.Buffer
	require.NoError(t, rep.WriteHTML(&page))
	doc, err := html.Parse(&page)
	require.NoError(t, err)
	sections, scripts, marks, polylines := 0, 0, 0, 0
	var answers []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				assert.False(t, strings.HasPrefix(a.Key, "on"), "no event handler: <%s %s>", n.Data, a.Key)
				if a.Key == "class" && strings.Contains(a.Val, "finding") && n.Data == "section" {
					sections++
				}
				if a.Key == "class" && a.Val == "answer" {
					answers = append(answers, n.FirstChild.Data)
				}
			}
			switch n.Data {
			case "script":
				scripts++
			case "mark":
				marks++
			case "polyline":
				polylines++
			case "img":
				t.Error("an <img> from the receiver's answer")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	assert.Equal(t, len(rep.Findings), sections)
	assert.Equal(t, 1, scripts, "the copy button's script alone")
	assert.Equal(t, 1, polylines, "the timeline")
	assert.Positive(t, marks, "the trigger field is marked in a minimised payload")
	require.NotEmpty(t, answers)
	assert.Contains(t, answers[0], "<script>window.pwned=1</script>", "the answer shows as text")
}

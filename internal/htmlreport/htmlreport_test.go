package htmlreport_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wahook/wahook/internal/htmlreport"
)

func TestJSON(t *testing.T) {
	tests := []struct {
		name, body, mark, want string
		marked                 bool
	}{
		{"object, no mark", `{"a":1,"b":[true,null]}`, "", "{\n  &#34;a&#34;: 1,\n  &#34;b&#34;: [\n    true,\n    null\n  ]\n}", false},
		{"scalar marked", `{"a":{"b":"x"}}`, "/a/b", "{\n  &#34;a&#34;: {\n    &#34;b&#34;: <mark id=\"marked\">&#34;x&#34;</mark>\n  }\n}", true},
		{"container marked", `{"a":[1]}`, "/a", "{\n  &#34;a&#34;: <mark id=\"marked\">[\n    1\n  ]</mark>\n}", true},
		{"array index", `[0,{"k":2}]`, "/1/k", "[\n  0,\n  {\n    &#34;k&#34;: <mark id=\"marked\">2</mark>\n  }\n]", true},
		{"escaped key", `{"a/b":1}`, "/a~1b", "{\n  &#34;a/b&#34;: <mark id=\"marked\">1</mark>\n}", true},
		{"markup escaped", `{"x":"</pre><script>"}`, "", "{\n  &#34;x&#34;: &#34;\\u003c/pre\\u003e\\u003cscript\\u003e&#34;\n}", false},
		{"missing pointer", `{"a":1}`, "/b", "{\n  &#34;a&#34;: 1\n}", false},
		{"not JSON", "<b>{\xff", "/a", "&lt;b&gt;{\uFFFD", false},
		{"empty", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, marked := htmlreport.JSON([]byte(tt.body), tt.mark)
			assert.Equal(t, tt.want, string(got))
			assert.Equal(t, tt.marked, marked)
		})
	}
}

func TestAnchor(t *testing.T) {
	assert.Equal(t, "case--reject-2fa-22-3e", htmlreport.Anchor("case", `reject/a">`))
	assert.NotEqual(t, htmlreport.Anchor("a-b"), htmlreport.Anchor("a", "b"), "distinct parts, distinct anchors")
}

package conformance

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/schemas"
)

func sampleReport() *Report {
	results := []Result{
		{ID: "valid/itniotech/text/1", Group: GroupValid, Outcome: Pass, Expected: "2xx", Duration: time.Millisecond},
		{ID: "reject/itniotech/invalid-json", Group: GroupReject, Outcome: Fail, Expected: "2xx or 4xx", Reason: "got 500 <Internal> & more"},
	}
	return &Report{Target: "http://127.0.0.1:1/hook", Provider: schemas.ITNIOTech, Profile: Standard, Seed: 3, Results: results, Summary: summarize(results)}
}

// The report's two file formats: JUnit XML with the counts, and indented JSON that reads back whole.
func TestReportWrite(t *testing.T) {
	var junit bytes.Buffer
	require.NoError(t, sampleReport().WriteJUnit(&junit))
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	require.NoError(t, xml.Unmarshal(junit.Bytes(), &doc))
	assert.Equal(t, 2, doc.Tests)
	assert.Equal(t, 1, doc.Failures)

	var js bytes.Buffer
	require.NoError(t, sampleReport().WriteJSON(&js))
	assert.Contains(t, js.String(), `"reason": "got 500 <Internal> & more"`, "indented, HTML left unescaped")
	var back Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, *sampleReport(), back)
}

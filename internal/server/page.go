package server

import (
	"bytes"
	"html/template"
	"net/http"
	"time"
)

// pageRecords is how many deliveries the page lists.
const pageRecords = 100

// page lists recent deliveries. html/template escapes every value: types, ids and error texts come
// from requests and receivers, and must not become markup.
var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"clock": func(t time.Time) string { return t.Format("15:04:05.000") },
	"ms":    func(v float64) string { return formatMs(v) },
	"lastError": func(r Record) string {
		if len(r.Attempts) == 0 {
			return ""
		}
		return truncate(r.Attempts[len(r.Attempts)-1].Error, 200)
	},
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>wahook serve</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; }
th, td { padding: .25em .7em; border-bottom: 1px solid #ddd; text-align: left; white-space: nowrap; }
td.err { white-space: normal; color: #a00; }
tr.acked td.outcome { color: #070; } tr.failed td.outcome { color: #b00; } tr.cancelled td.outcome { color: #777; }
code { font-size: 90%; }
</style>
</head>
<body>
<h1>wahook serve</h1>
<p>The {{len .Records}} most recent of the {{.Kept}} deliveries kept (at most {{.Capacity}}); this page refreshes every 5 seconds.
Send with <code>POST /v1/send</code>, list with <code>GET /v1/deliveries</code>; media files are at <code>/media/</code>.</p>
{{with .Timer}}<p>Timer: one {{.Provider}} payload every {{.Every}} to <code>{{.Target}}</code>.</p>{{end}}
<table>
<thead><tr><th>time</th><th>run</th><th>provider</th><th>type</th><th>id</th><th>outcome</th><th>status</th><th>latency</th><th>attempts</th><th>error</th></tr></thead>
<tbody>
{{range .Records}}<tr class="{{.Outcome}}"><td>{{clock .Time}}</td><td>{{.Run}}</td><td>{{.Provider}}</td><td>{{.Type}}</td><td><code>{{.ID}}</code></td><td class="outcome">{{.Outcome}}{{if .PendingRetry}} (retry pending){{end}}</td><td>{{if .Status}}{{.Status}}{{else}}–{{end}}</td><td>{{ms .LatencyMs}}</td><td>{{len .Attempts}}</td><td class="err">{{lastError .}}</td></tr>
{{else}}<tr><td colspan="10">No deliveries yet.</td></tr>
{{end}}</tbody>
</table>
</body>
</html>
`))

type pageData struct {
	Records  []Record
	Kept     int
	Capacity int
	Timer    *timerInfo
}

type timerInfo struct {
	Provider, Target string
	Every            time.Duration
}

func (s *Server) handlePage(w http.ResponseWriter, _ *http.Request) {
	data := pageData{Capacity: s.ring.capacity()}
	data.Records, data.Kept = s.ring.list(nil, pageRecords)
	if t := s.timer; t != nil {
		data.Timer = &timerInfo{Provider: string(t.provider), Target: s.opts.URL, Every: t.every}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, data); err != nil {
		writeError(w, http.StatusInternalServerError, "rendering the page: %v", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write(buf.Bytes())
}

// formatMs prints a latency in milliseconds the way people read it.
func formatMs(v float64) string {
	if v == 0 {
		return "–"
	}
	return (time.Duration(v * float64(time.Millisecond))).Round(time.Microsecond * 10).String()
}

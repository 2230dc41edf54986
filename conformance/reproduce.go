package conformance

import (
	"bytes"
	"cmp"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/wahook/wahook/internal/engine"
)

// reproduce writes the payloads of a failing case under the payload directory and returns a shell
// command that sends them again as the case did, and the files. Credentials appear in the command as
// environment variables, never in clear: CI logs are not the place for them; the first command that
// reads one notes which.
func (r *runner) reproduce(c Case) (string, []string) {
	cmd, files := r.reproduceCommand(c)
	if strings.Contains(cmd, `"$WAHOOK_`) {
		r.mu.Lock()
		if !r.credentialsNoted {
			r.credentialsNoted = true
			var vars []string
			for _, name := range r.s.credentials {
				if _, static := r.s.header[name]; static { // a signature is shown as sent: it is no secret
					vars = append(vars, "$"+envName(name))
				}
			}
			r.notes = append(r.notes, "the reproduce commands read the credentials from "+strings.Join(vars, ", "))
		}
		r.mu.Unlock()
	}
	return cmd, files
}

func (r *runner) reproduceCommand(c Case) (string, []string) {
	if c.Handshake != nil {
		return r.reproduceHandshake(c), nil
	}
	dir, err := r.ensurePayloadDir()
	if err != nil {
		return fmt.Sprintf("(payload not written: %v)", err), nil
	}
	base := filepath.Join(dir, fileName(c.ID))
	var files []string
	// Identical requests (a retry) share one file.
	fileOf := make([]string, len(c.Requests))
	for i, req := range c.Requests {
		if j := slices.IndexFunc(c.Requests[:i], func(o Request) bool { return bytes.Equal(o.Body, req.Body) }); j >= 0 {
			fileOf[i] = fileOf[j]
			continue
		}
		name := base + ".json"
		switch {
		case c.Concurrent:
			name = filepath.Join(base, fmt.Sprintf("%02d.json", i+1))
		case len(c.Requests) > 1:
			name = fmt.Sprintf("%s-%d.json", base, i+1)
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return fmt.Sprintf("(payload not written: %v)", err), nil
		}
		if err := os.WriteFile(name, req.Body, 0o644); err != nil {
			return fmt.Sprintf("(payload not written: %v)", err), nil
		}
		fileOf[i] = name
		files = append(files, name)
	}

	req := c.Requests[0]
	switch {
	case c.Concurrent:
		// The same headers for every request of the burst: curl them all at once.
		return fmt.Sprintf("for f in %s/*.json; do %s --data-binary @\"$f\" %s & done; wait",
			shellQuote(base), r.curl(req, true), shellQuote(r.s.URL)), files
	case len(c.Requests) == 1 && len(r.s.credentials) == 0 && req.ContentType == "application/json":
		return fmt.Sprintf("%s send --target %s --provider %s --retries none%s --file %s",
			cmp.Or(r.s.Program, "wahook"), shellQuote(r.s.URL), r.s.Provider, r.sendOptions(), shellQuote(files[0])), files
	}
	var cmds []string
	for i, req := range c.Requests {
		cmds = append(cmds, fmt.Sprintf("%s --data-binary @%s %s", r.curl(req, false), shellQuote(fileOf[i]), shellQuote(r.s.URL)))
	}
	return strings.Join(cmds, " && "), files
}

// sendOptions are the wahook send flags that make it connect and wait as the suite did: the same
// trust in the target's certificate, and the same timeout when it is not send's default.
func (r *runner) sendOptions() string {
	var b strings.Builder
	if r.s.Timeout != engine.DefaultTimeout {
		b.WriteString(" --timeout " + r.s.Timeout.String())
	}
	if r.s.TLS.Insecure {
		b.WriteString(" --insecure")
	}
	if r.s.TLS.CAFile != "" {
		b.WriteString(" --ca-file " + shellQuote(absPath(r.s.TLS.CAFile)))
	}
	return b.String()
}

// curl returns the start of a curl command sending req's headers; the body and URL follow. Like the
// suite, it gives up after the timeout (curl has no limit of its own) and trusts the same certificates.
func (r *runner) curl(req Request, statusOnly bool) string {
	parts := []string{"curl -sS"}
	if statusOnly {
		parts = append(parts, `-o /dev/null -w '%{http_code}\n'`)
	} else {
		parts = append(parts, "-i")
	}
	parts = append(parts, "--max-time "+strconv.FormatFloat(r.s.Timeout.Seconds(), 'f', -1, 64))
	if r.s.TLS.Insecure {
		parts = append(parts, "-k")
	}
	if r.s.TLS.CAFile != "" {
		parts = append(parts, "--cacert "+shellQuote(absPath(r.s.TLS.CAFile)))
	}
	parts = append(parts, "-X POST", "-H "+shellQuote("Content-Type: "+req.ContentType))
	var names []string
	for name := range req.Header {
		if name != "User-Agent" && !strings.EqualFold(name, "Content-Type") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range req.Header[name] {
			if slices.Contains(r.s.credentials, name) && slices.Contains(r.s.header[name], v) {
				parts = append(parts, "-H "+shellQuote(name+": ")+`"$`+envName(name)+`"`)
				continue
			}
			parts = append(parts, "-H "+shellQuote(name+": "+v))
		}
	}
	return strings.Join(parts, " ")
}

// ensurePayloadDir returns the payload directory, creating a temporary one on first use.
func (r *runner) ensurePayloadDir() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.payloadDir != "" {
		return r.payloadDir, os.MkdirAll(r.payloadDir, 0o755)
	}
	dir, err := os.MkdirTemp("", "wahook-conform-")
	if err != nil {
		return "", err
	}
	r.payloadDir = dir
	return dir, nil
}

// absPath makes a path given relative to the working directory absolute, so that a reproduce command
// works from anywhere; a path that cannot be made absolute is kept as given.
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// envName is the environment variable a reproduce command reads credential header name from.
func envName(name string) string {
	return "WAHOOK_" + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
}

// fileName turns a case id into a file name: reject/innopaas/invalid-json is reject_innopaas_invalid-json.
func fileName(id string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == ' ' {
			return '_'
		}
		return r
	}, id)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// reproduceHandshake is the curl command of a handshake case, the verify token read from
// $WAHOOK_VERIFY_TOKEN where the case sends the configured one.
func (r *runner) reproduceHandshake(c Case) string {
	q, _ := url.ParseQuery(c.Handshake.Query) // built by Verification.Query: well formed
	v := r.s.prov.Verification
	masked := r.s.VerifyToken != "" && q.Get(v.TokenParam) == r.s.VerifyToken
	if masked {
		q.Del(v.TokenParam)
	}
	u, err := v.URL(r.s.URL, q) // the challenge is always there: u has a query to add to
	if err != nil {
		return fmt.Sprintf("(no command: %v)", err)
	}
	if !masked {
		return "curl -si " + shellQuote(u)
	}
	r.mu.Lock()
	if !r.verifyTokenNoted {
		r.verifyTokenNoted = true
		r.notes = append(r.notes, "the handshake reproduce commands read the verify token from $WAHOOK_VERIFY_TOKEN")
	}
	r.mu.Unlock()
	return "curl -si " + shellQuote(u+"&"+v.TokenParam+"=") + `"$WAHOOK_VERIFY_TOKEN"`
}

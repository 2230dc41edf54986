package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Recorded says how a recorded payload came: the request the real provider made, less its
// credentials, and the receiver's answer. A manifest entry has it only when wahook proxy --record
// wrote the payload; such an entry has no run seed and cannot be regenerated.
type Recorded struct {
	// Time is when the request arrived.
	Time time.Time `json:"time"`
	// Method and Path (with the query) are the request's.
	Method string `json:"method"`
	Path   string `json:"path"`
	// Header holds the request's headers, less those that carry credentials.
	Header http.Header `json:"header,omitempty"`
	// Status is the receiver's answer, 0 when none came.
	Status int `json:"status"`
	// Redacted reports that personal data in the body was replaced (wahook proxy --redact).
	Redacted bool `json:"redacted,omitempty"`
}

// Recording is one delivery for Recorder.Record to write.
type Recording struct {
	// Provider and Type are what the body was recognised as; "" for neither.
	Provider schemas.Provider
	Type     string
	// ID is the message id a receiver deduplicates on, "" when the body has none.
	ID string
	// Schema is the schema's verdict on the body as it came.
	Schema mockprovider.SchemaVerdict
	// ContentType is the request's Content-Type.
	ContentType string
	// Body is what the recording holds, after redaction.
	Body []byte
	Recorded
}

// Recorder writes deliveries as they arrive into a corpus directory, in the files layout, each under
// the next number: DIR/<provider>/<type>/NNNNNN.json, DIR/unrecognised/NNNNNN.json for a body of no
// known provider. It is safe for concurrent use. A payload file is complete under its name before
// its manifest line is written, and each line is one write, so the manifest of a recorder killed at
// any moment lists only files that exist and are whole (one it was writing is left unlisted).
// Nothing is synced to the disk, so a machine that loses power may lose the last deliveries.
type Recorder struct {
	dir  string
	mu   sync.Mutex // serialises numbering, the manifest and directory creation
	next uint64
	dirs madeDirs
	mf   *os.File
}

// NewRecorder makes dir, or checks that it is empty (with force, removes the manifest left there
// instead), and opens its manifest.
func NewRecorder(dir string, force bool) (*Recorder, error) {
	if _, err := prepareDir(dir, force); err != nil {
		return nil, err
	}
	mf, err := os.OpenFile(filepath.Join(dir, ManifestFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	return &Recorder{dir: dir, dirs: madeDirs{}, mf: mf}, nil
}

// Record writes rec's body under the next number, then its manifest line, and returns the entry.
func (r *Recorder) Record(rec Recording) (Entry, error) {
	r.mu.Lock()
	index := r.next
	r.next++
	r.mu.Unlock()

	file := recordedFile(rec.Provider, rec.Type, index)
	sum := sha256.Sum256(rec.Body)
	e := Entry{
		File: file, Provider: rec.Provider, Type: rec.Type, Index: index,
		Expect: mockprovider.Accept, Schema: rec.Schema, ID: rec.ID,
		ContentType: rec.ContentType, SHA256: hex.EncodeToString(sum[:]), Recorded: &rec.Recorded,
	}
	line, err := json.Marshal(e)
	if err != nil {
		return Entry{}, fmt.Errorf("corpus: record %s: %w", file, err)
	}
	name := filepath.Join(r.dir, filepath.FromSlash(file))
	if err := r.mkdir(filepath.Dir(name)); err != nil {
		return Entry{}, err
	}
	// The manifest line goes out only once the file is written whole, so a listed file is complete;
	// a recorder killed mid-write leaves at most one partial file, unlisted.
	if err := os.WriteFile(name, rec.Body, 0o644); err != nil {
		return Entry{}, fmt.Errorf("corpus: record: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mf == nil {
		return Entry{}, fmt.Errorf("corpus: record %s: %w", file, os.ErrClosed)
	}
	if _, err := r.mf.Write(append(line, '\n')); err != nil {
		return Entry{}, fmt.Errorf("corpus: record %s: write manifest: %w", file, err)
	}
	return e, nil
}

// Close closes the manifest; Record fails after it.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mf == nil {
		return nil
	}
	err := r.mf.Close()
	r.mf = nil
	if err != nil {
		return fmt.Errorf("corpus: close manifest: %w", err)
	}
	return nil
}

func (r *Recorder) mkdir(dir string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dirs.mkdir(dir)
}

// recordedFile is where a recording numbered index goes. A type that is not a safe file name (the
// provider sends what it likes) is filed as "unknown"; the manifest keeps the type itself.
func recordedFile(p schemas.Provider, typ string, index uint64) string {
	n := padded(index, 6)
	if p == "" {
		return "unrecognised/" + n + ".json"
	}
	if !safeName(typ) {
		typ = "unknown"
	}
	return string(p) + "/" + typ + "/" + n + ".json"
}

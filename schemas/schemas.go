// Package schemas holds the JSON Schemas (draft 2020-12) of the inbound WhatsApp webhook formats that
// wahook knows, and validates payloads against them.
//
// The schema files are the one place where a provider's payload format is written down: field names,
// required fields, the list of message types. Everything else in wahook asks this package for them.
package schemas

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Provider names a webhook format.
type Provider string

// The built-in providers. Auto asks Validate to recognise the provider from the payload's envelope.
const (
	Auto      Provider = "auto"
	InnoPaaS  Provider = "innopaas"
	ITNIOTech Provider = "itniotech"
	Meta      Provider = "meta"
)

// Errors of the provider registry.
var (
	// ErrUnknownProvider is returned for a provider name that is not one of Providers.
	ErrUnknownProvider = errors.New("unknown provider")
	// ErrProviderExists is returned by Register for a name already registered.
	ErrProviderExists = errors.New("provider already registered")
	// ErrBadSchema is wrapped by errors about a schema that breaks a convention the code relies on.
	ErrBadSchema = errors.New("bad schema")
)

//go:embed *.schema.json
var files embed.FS

// registry is one immutable state of the known formats; Register and Unregister replace it whole, so
// that the readers on every payload's path (Detect, Fields) take no lock.
type registry struct {
	order   []Provider
	formats map[Provider]*format
}

var (
	current    atomic.Pointer[registry]
	registerMu sync.Mutex // serialises the writers of current
	// builtinErr is what loading the embedded schemas went wrong with; Check and New return it.
	builtinErr error
)

// init registers every embedded schema, in file-name order: adding a provider's schema file is its
// registration here.
func init() {
	current.Store(&registry{formats: map[Provider]*format{}})
	names, err := fs.Glob(files, "*.schema.json") // sorted
	builtinErr = err
	for _, name := range names {
		if name == messageSchemaFile {
			continue
		}
		raw, err := files.ReadFile(name)
		if err == nil {
			err = Register(Provider(strings.TrimSuffix(name, ".schema.json")), raw)
		}
		builtinErr = errors.Join(builtinErr, err)
	}
}

// messageSchemaFile describes wahook's provider-neutral message model (package message), not a
// provider's format.
const messageSchemaFile = "message.schema.json"

func known() *registry { return current.Load() }

// Check reports whether every embedded schema loaded: nil, or an error naming each schema file and the
// JSON pointer of the convention it breaks. New returns the same error; a provider whose schema did not
// load is not among Providers.
func Check() error { return builtinErr }

// validName is what a provider name may be: it names the schema file and appears in case ids and URLs.
var validName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// Register adds provider name with its JSON Schema (draft 2020-12) to the known formats, after the
// built-in ones in Providers' order. The schema must follow the conventions the rest of wahook reads:
// "$id" equal to name.URL(), top-level "properties" (the envelope, which Detect matches), and the
// message types as the string enum at /$defs/message/properties/type/enum. A name already known is
// ErrProviderExists; a schema breaking a convention is ErrBadSchema, naming the file and the pointer.
// Validators made before the call do not see the new provider: make one with New afterwards.
func Register(name Provider, schema []byte) error {
	if !validName.MatchString(string(name)) || name == Auto {
		return fmt.Errorf("register provider %q: want a name of lowercase letters, digits and dashes, not %q", name, Auto)
	}
	f, err := loadFormat(name, schema)
	if err != nil {
		return err
	}
	registerMu.Lock()
	defer registerMu.Unlock()
	old := known()
	if _, ok := old.formats[name]; ok {
		return fmt.Errorf("register provider %q: %w", name, ErrProviderExists)
	}
	next := &registry{order: append(slices.Clone(old.order), name), formats: maps.Clone(old.formats)}
	next.formats[name] = f
	current.Store(next)
	return nil
}

// Unregister removes provider name from the known formats, so that a test can undo its Register
// (t.Cleanup). It is ErrUnknownProvider for a name that is not registered.
func Unregister(name Provider) error {
	registerMu.Lock()
	defer registerMu.Unlock()
	old := known()
	if _, ok := old.formats[name]; !ok {
		return fmt.Errorf("unregister provider %q: %w", name, ErrUnknownProvider)
	}
	next := &registry{order: slices.DeleteFunc(slices.Clone(old.order), func(p Provider) bool { return p == name }), formats: maps.Clone(old.formats)}
	delete(next.formats, name)
	current.Store(next)
	return nil
}

// Providers returns the known providers, in a stable order: the built-in ones, then any registered.
func Providers() []Provider { return slices.Clone(known().order) }

// ParseProvider turns a name such as "innopaas" into a Provider. It accepts "auto" only when allowAuto is set.
func ParseProvider(name string, allowAuto bool) (Provider, error) {
	p, reg := Provider(name), known()
	if _, ok := reg.formats[p]; ok || p == Auto && allowAuto {
		return p, nil
	}
	want := slices.Clone(reg.order)
	if allowAuto {
		want = append([]Provider{Auto}, want...)
	}
	return "", fmt.Errorf("%w %q (want one of %v)", ErrUnknownProvider, name, want)
}

// fileName returns the file name of p's schema, such as "innopaas.schema.json".
func (p Provider) fileName() string { return string(p) + ".schema.json" }

// URL returns the $id of p's schema.
func (p Provider) URL() string { return baseURL + p.fileName() }

const baseURL = "https://github.com/wahook/wahook/schemas/"

// Source returns the raw bytes of p's schema.
func Source(p Provider) ([]byte, error) {
	f, ok := known().formats[p]
	if !ok {
		return nil, fmt.Errorf("schema of %q: %w", p, ErrUnknownProvider)
	}
	return slices.Clone(f.raw), nil
}

// Types returns the message types p's schema defines, in the order the schema lists them.
func Types(p Provider) []string {
	f, ok := known().formats[p]
	if !ok {
		return nil
	}
	return slices.Clone(f.types)
}

// EnvelopeKeys returns the top-level property names p's schema documents, in sorted order.
func EnvelopeKeys(p Provider) []string {
	f, ok := known().formats[p]
	if !ok {
		return nil
	}
	return slices.Clone(f.envelope)
}

// format is what the Go code reads out of one schema file, so that nothing is written down twice.
type format struct {
	raw      []byte
	source   map[string]any
	types    []string // $defs.message.properties.type.enum
	envelope []string // top-level properties, sorted
}

// typesPointer is where a schema lists its message types.
const typesPointer = "/$defs/message/properties/type/enum"

// loadFormat reads what the code relies on out of p's schema raw, or says which convention it breaks.
func loadFormat(p Provider, raw []byte) (*format, error) {
	bad := func(ptr, msg string, args ...any) error {
		return fmt.Errorf("%w %s: %s: %s", ErrBadSchema, p.fileName(), ptr, fmt.Sprintf(msg, args...))
	}
	var src map[string]any
	if err := json.Unmarshal(raw, &src); err != nil {
		return nil, fmt.Errorf("%w %s: not a JSON object: %w", ErrBadSchema, p.fileName(), err)
	}
	if id, _ := src["$id"].(string); id != p.URL() {
		return nil, bad("/$id", "want %q, the URL the schema is compiled under", p.URL())
	}
	f := &format{raw: slices.Clone(raw), source: src}
	envelope, ok := src["properties"].(map[string]any)
	if !ok || len(envelope) == 0 {
		return nil, bad("/properties", "want an object listing the envelope's keys")
	}
	for k := range envelope {
		f.envelope = append(f.envelope, k)
	}
	slices.Sort(f.envelope)
	enum, ok := dig(src, "$defs", "message", "properties", "type")["enum"].([]any)
	if !ok || len(enum) == 0 {
		return nil, bad(typesPointer, "want a non-empty array of the message types")
	}
	for i, t := range enum {
		s, ok := t.(string)
		if !ok || s == "" || slices.Contains(f.types, s) {
			return nil, bad(fmt.Sprintf("%s/%d", typesPointer, i), "want a distinct non-empty string, not %s", jsonText(t))
		}
		f.types = append(f.types, s)
	}
	return f, nil
}

// jsonText writes a decoded value as JSON, for messages.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// dig walks nested JSON objects by key, returning nil when a step is missing.
func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		m = next
	}
	return m
}

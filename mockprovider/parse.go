package mockprovider

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/schemas"
)

// ErrInvalidPayload is wrapped by Parse's refusal of a payload its provider's schema refuses; the
// error names the schema's first violation.
var ErrInvalidPayload = errors.New("not a valid inbound message webhook")

// parseValidator is the validator Parse checks payloads with, compiled on first use.
var parseValidator = sync.OnceValues(func() (*schemas.Validator, error) { return schemas.New(schemas.Options{}) })

// Parse reads an inbound message webhook of provider p into wahook's provider-neutral model, for a
// receiver to use in production or to compare its own parsing with. It accepts exactly what p's
// schema accepts, every documented quirk form included (InnoPaaS's "contact" key, numeric or string
// coordinates, ITNIO's "true" flags and trailing-space key), and refuses the rest with the schema's
// own violation, wrapped with ErrInvalidPayload.
func Parse(p schemas.Provider, body []byte) (message.Message, error) {
	if _, err := Lookup(p); err != nil {
		return message.Message{}, err
	}
	v, err := parseValidator()
	if err != nil {
		return message.Message{}, fmt.Errorf("parse %s: %w", p, err)
	}
	doc, err := jsoninput.Decode(body)
	if err != nil {
		return message.Message{}, fmt.Errorf("parse %s: %w: %w", p, ErrInvalidPayload, err)
	}
	rep, err := v.ValidateValue(p, doc)
	if err != nil {
		return message.Message{}, fmt.Errorf("parse %s: %w", p, err)
	}
	if !rep.Valid() {
		return message.Message{}, fmt.Errorf("parse %s: %w: %s", p, ErrInvalidPayload, rep.Violations[0])
	}
	return ParseValid(p, doc)
}

// ParseValid is Parse for a payload a receiver has already decoded with jsoninput.Decode and found
// valid by p's schema, as one that validates first has it: it maps doc without checking it again,
// so that the payload is not decoded and validated twice on every request. Given anything else, it
// returns a message with the fields it could read.
func ParseValid(p schemas.Provider, doc any) (message.Message, error) {
	prov, err := Lookup(p)
	if err != nil {
		return message.Message{}, err
	}
	return parseValid(prov, doc)
}

// ErrNoParser is returned by Parse and ParseValid for a provider registered with a format only: no
// parser reads its webhooks into the message model.
var ErrNoParser = errors.New("the provider has no parser")

func parseValid(prov *Provider, doc any) (message.Message, error) {
	if prov.parse == nil {
		return message.Message{}, fmt.Errorf("parse %s: %w", prov.Name, ErrNoParser)
	}
	root, _ := doc.(map[string]any) // the schema requires an object
	m, err := prov.parse(root)
	if err != nil {
		return message.Message{}, fmt.Errorf("parse %s: %w", prov.Name, err)
	}
	m.Provider = string(prov.Name)
	return m, nil
}

// The readers below take the generic form Decode produces, already checked by the schema: a value of
// the wrong type reads as the zero value, which the schema has ruled out.

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func arr(m map[string]any, key string) []map[string]any {
	a, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(a))
	for _, v := range a {
		if o, ok := v.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

// number reads a number sent as a JSON number or as a decimal string.
func number(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case json.Number:
		f, _ := n.Float64()
		return f
	case string:
		f, _ := strconv.ParseFloat(n, 64)
		return f
	}
	return 0
}

// flag reads a boolean sent as true/false or as "true"/"false".
func flag(v any) bool {
	return v == true || v == "true"
}

// text reads a value the model keeps as text: a string as is, a number in its shortest form, an
// object as its JSON.
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// raw is an object the model carries as sent, as JSON.
func raw(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}

// cardKeys are the member names of a contact card in one provider's spelling.
type cardKeys struct {
	countryCode, formattedName, firstName, middleName, lastName, waID string
}

// contactCards reads contact cards spelled as keys says.
func contactCards(cards []map[string]any, keys cardKeys) []message.Contact {
	out := make([]message.Contact, 0, len(cards))
	for _, c := range cards {
		n := obj(c, "name")
		card := message.Contact{
			Name: message.Name{
				Formatted: str(n, keys.formattedName), First: str(n, keys.firstName), Middle: str(n, keys.middleName),
				Last: str(n, keys.lastName), Prefix: str(n, "prefix"), Suffix: str(n, "suffix"),
			},
			Birthday: str(c, "birthday"),
		}
		for _, a := range arr(c, "addresses") {
			card.Addresses = append(card.Addresses, message.Address{
				Street: str(a, "street"), City: str(a, "city"), State: str(a, "state"), Zip: str(a, "zip"),
				Country: str(a, "country"), CountryCode: str(a, keys.countryCode), Type: str(a, "type"),
			})
		}
		for _, e := range arr(c, "emails") {
			card.Emails = append(card.Emails, message.Email{Email: str(e, "email"), Type: str(e, "type")})
		}
		for _, p := range arr(c, "phones") {
			ph := message.Phone{Phone: str(p, "phone"), Type: str(p, "type")}
			if keys.waID != "" {
				ph.WAID = str(p, keys.waID)
			}
			card.Phones = append(card.Phones, ph)
		}
		if o := obj(c, "org"); o != nil {
			card.Org = &message.Org{Company: str(o, "company"), Department: str(o, "department"), Title: str(o, "title")}
		}
		for _, u := range arr(c, "urls") {
			card.URLs = append(card.URLs, message.URL{URL: str(u, "url"), Type: str(u, "type")})
		}
		out = append(out, card)
	}
	return out
}

// neutralKind is the model's kind for a provider's message type: the media, text and other types
// keep their word; the provider's words for a message it could not deliver (errorTypes) are
// "error".
func neutralKind(typ string, errorTypes ...string) string {
	if slices.Contains(errorTypes, typ) {
		return "error"
	}
	return strings.ToLower(typ)
}

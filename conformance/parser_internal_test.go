package conformance

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestCheckParserCatchesSilentDefects: parsers that accept every valid payload but store the wrong
// thing, as receivers do in the field, are each caught by the field they get wrong, and a parser
// that accepts anything fails the reject cases.
func TestCheckParserCatchesSilentDefects(t *testing.T) {
	reference := func(p schemas.Provider) func([]byte) (message.Message, error) {
		return func(b []byte) (message.Message, error) { return mockprovider.Parse(p, b) }
	}
	defect := func(p schemas.Provider, spoil func(body []byte, m *message.Message)) func([]byte) (message.Message, error) {
		return func(b []byte) (message.Message, error) {
			m, err := mockprovider.Parse(p, b)
			if err == nil {
				spoil(b, &m)
			}
			return m, err
		}
	}
	tests := []struct {
		name     string
		provider schemas.Provider
		parse    func([]byte) (message.Message, error)
		want     string // in some case's failure
		ignore   []string
	}{
		{"drops captions", schemas.InnoPaaS, defect(schemas.InnoPaaS, func(_ []byte, m *message.Message) {
			if m.Media != nil {
				m.Media.Caption = ""
			}
		}), "/media/caption: sent ", nil},
		{"reads only contacts", schemas.InnoPaaS, defect(schemas.InnoPaaS, func(b []byte, m *message.Message) {
			if !contactsKey.Match(b) {
				m.Contacts = nil
			}
		}), "/contacts: sent [", nil},
		{"numeric latitude only", schemas.ITNIOTech, defect(schemas.ITNIOTech, func(_ []byte, m *message.Message) {
			if m.Location != nil {
				m.Location.Latitude, m.Location.Longitude = 0, 0
			}
		}), "/location/latitude: sent ", nil},
		{"first emoji code point", schemas.InnoPaaS, defect(schemas.InnoPaaS, func(_ []byte, m *message.Message) {
			if m.Reaction != nil {
				r, _ := utf8.DecodeRuneInString(m.Reaction.Emoji)
				m.Reaction.Emoji = string(r)
			}
		}), "/reaction/emoji: sent ", nil},
		{"millisecond timestamps", schemas.ITNIOTech, defect(schemas.ITNIOTech, func(_ []byte, m *message.Message) {
			m.SentAt = time.UnixMilli(m.SentAt.Unix()).UTC()
		}), "/sentAt: sent ", nil},
		{"drops context", schemas.ITNIOTech, defect(schemas.ITNIOTech, func(_ []byte, m *message.Message) { m.Context = nil }),
			"/context: sent {", nil},
		{"accepts anything", schemas.ITNIOTech, func([]byte) (message.Message, error) { return message.Message{}, nil },
			"parsed a payload the itniotech schema refuses", []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var failures []string
			for _, c := range parserCases(t, tt.provider) {
				for _, req := range c.Requests {
					if err := checkParse(c, req, tt.parse, tt.ignore); err != nil {
						failures = append(failures, c.ID+": "+err.Error())
					}
				}
			}
			require.NotEmpty(t, failures, "the defect is caught")
			assert.True(t, containsAny(failures, tt.want), "no failure names %q; first: %s", tt.want, failures[0])
			for _, c := range parserCases(t, tt.provider) {
				for _, req := range c.Requests {
					assert.NoError(t, checkParse(c, req, reference(tt.provider), nil), c.ID)
				}
			}
		})
	}
}

// contactsKey finds the table's key for the cards; a receiver that reads only it misses the example's.
var contactsKey = regexp.MustCompile(`"contacts"\s*:`)

func parserCases(t *testing.T, p schemas.Provider) []Case {
	t.Helper()
	cases, err := Cases(Config{Target: mockprovider.Target{Provider: p}, Profile: Strict})
	require.NoError(t, err)
	return cases
}

func containsAny(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

package message_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/message"
)

func sample() message.Message {
	return message.Message{
		Provider: "itniotech", MessageID: "m1", From: message.Sender{Phone: "8613530411151", Name: "Amanda"},
		Business: "639518159038", SentAt: time.Date(2023, 8, 30, 11, 59, 56, 0, time.UTC), Type: "image", Kind: "image",
		Media:   &message.Media{FilePath: "/f/1.jpg", ID: "id1", MIMEType: "image/jpeg", SHA256: "abc", Caption: "Graceful furnish"},
		Context: &message.Context{MessageID: "wamid.1", Forwarded: true},
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name   string
		got    func(*message.Message)
		ignore []string
		want   []string
	}{
		{"same", func(*message.Message) {}, nil, nil},
		{"dropped caption", func(m *message.Message) { m.Media.Caption = "" }, nil,
			[]string{`/media/caption: sent "Graceful furnish", receiver has nothing`}},
		{"dropped caption, ignored", func(m *message.Message) { m.Media.Caption = "" }, []string{"/media/caption"}, nil},
		{"dropped context", func(m *message.Message) { m.Context = nil }, nil,
			[]string{`/context: sent {"forwarded":true,"messageId":"wamid.1"}, receiver has nothing`}},
		{"ignore a subtree", func(m *message.Message) { m.Context = nil; m.Media.SHA256 = "x" }, []string{"/context/"},
			[]string{`/media/sha256: sent "abc", receiver has "x"`}},
		{"same instant, other zone", func(m *message.Message) { m.SentAt = m.SentAt.In(time.FixedZone("CST", 8*3600)) }, nil, nil},
		{"milliseconds read as seconds", func(m *message.Message) { m.SentAt = time.UnixMilli(1693396796).UTC() }, nil,
			[]string{`/sentAt: sent "2023-08-30T11:59:56Z", receiver has "1970-01-20T14:23:16.796Z"`}},
		{"strings exactly", func(m *message.Message) { m.From.Name = "Amanda " }, nil,
			[]string{`/from/name: sent "Amanda", receiver has "Amanda "`}},
		{"extra fields are not judged", func(m *message.Message) { m.Text = &message.Text{Body: "x"} }, nil, nil},
		{"a false flag read as true", func(m *message.Message) { m.Context.FrequentlyForwarded = true }, nil,
			[]string{`/context/frequentlyForwarded: sent false, receiver has true`}},
		{"a false flag read as true, ignored", func(m *message.Message) { m.Context.FrequentlyForwarded = true }, []string{"/context/frequentlyForwarded"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sample()
			media, ctx := *got.Media, *got.Context
			got.Media, got.Context = &media, &ctx
			tt.got(&got)
			var lines []string
			for _, d := range message.Diff(sample(), got, tt.ignore) {
				lines = append(lines, d.String())
			}
			assert.Equal(t, tt.want, lines)
		})
	}
}

func TestDiffJSON(t *testing.T) {
	sent := message.Message{Provider: "innopaas", Type: "location", Kind: "location",
		Location: &message.Location{Latitude: 22.636734008789, Longitude: 113.8, Name: "HQ"},
		Contacts: []message.Contact{{Name: message.Name{Formatted: "A"}}, {Name: message.Name{Formatted: "B"}}}}
	got := `{"provider":"innopaas","messageId":"","from":{"phone":""},"business":"","sentAt":"0001-01-01T00:00:00Z","type":"location","kind":"location",
		"location":{"latitude":"22.636734008789","longitude":113.8,"name":"HQ"},"contacts":[{"name":{"formatted":"A"}}]}`
	ds, err := message.DiffJSON(sent, []byte(got), nil)
	require.NoError(t, err)
	var lines []string
	for _, d := range ds {
		lines = append(lines, d.String())
	}
	assert.Equal(t, []string{"/contacts: sent 2 items, receiver has 1 item"}, lines, "a number written as a string is that number")

	_, err = message.DiffJSON(sent, []byte("ok"), nil)
	assert.ErrorContains(t, err, "not the model's JSON")
}

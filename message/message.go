// Package message is wahook's provider-neutral model of one inbound WhatsApp message: what a webhook
// receiver should have understood from a callback, whichever provider sent it. The provider parsers
// (mockprovider.Parse) produce it, the generator records it with the payloads it draws
// (mockprovider.Payload.Message), and Diff says field by field where a receiver's understanding
// differs from it.
//
// Its JSON form, described by schemas/message.schema.json, is what a receiver reports back to wahook.
// MAPPING.md, beside this file, says which field of each provider's webhook becomes which field here.
package message

import (
	"encoding/json"
	"time"
)

// Message is one inbound message. Exactly the content field of its Kind is set (Media for the five
// media kinds, Errors for "error"); Context may accompany any kind.
type Message struct {
	// Provider names the provider that sent it: "innopaas", "itniotech", "meta".
	Provider string `json:"provider"`
	// EventID is the callback's own id where the provider gives one apart from the message's
	// (InnoPaaS's envelope id); MessageID is the id a receiver deduplicates on; WAMID is WhatsApp's
	// id of the message, which replies and reactions refer to, where the provider passes it on.
	EventID   string `json:"eventId,omitempty"`
	MessageID string `json:"messageId"`
	WAMID     string `json:"wamid,omitempty"`
	// From is the customer; Business the business number the message was sent to.
	From     Sender `json:"from"`
	Business string `json:"business"`
	// SentAt is when the customer sent it, an instant.
	SentAt time.Time `json:"sentAt"`
	// Type is the provider's word for the message type; Kind the neutral one: "text", "image",
	// "audio", "video", "sticker", "document", "location", "contacts", "reaction", "button",
	// "interactive", "order", "system", or "error" for a message the provider could not deliver
	// (unknown or unsupported).
	Type string `json:"type"`
	Kind string `json:"kind"`

	Text        *Text        `json:"text,omitempty"`
	Media       *Media       `json:"media,omitempty"`
	Location    *Location    `json:"location,omitempty"`
	Contacts    []Contact    `json:"contacts,omitempty"`
	Reaction    *Reaction    `json:"reaction,omitempty"`
	Reply       *Reply       `json:"reply,omitempty"`
	Interactive *Interactive `json:"interactive,omitempty"`
	Errors      []Error      `json:"errors,omitempty"`
	// Order and System are carried as the provider sent them: neither document describes them.
	Order  json.RawMessage `json:"order,omitempty"`
	System json.RawMessage `json:"system,omitempty"`

	Context *Context `json:"context,omitempty"`
}

// Sender is the customer who sent a message.
type Sender struct {
	Phone string `json:"phone"`
	Name  string `json:"name,omitempty"`
}

// Text is a text message.
type Text struct {
	Body string `json:"body"`
}

// Media is an image, audio, video, sticker or document. A provider gives either a Link to download
// (InnoPaaS) or a FilePath and a media ID (ITNIO Tech).
type Media struct {
	Link     string `json:"link,omitempty"`
	FilePath string `json:"filePath,omitempty"`
	ID       string `json:"id,omitempty"`
	MIMEType string `json:"mimeType"`
	SHA256   string `json:"sha256"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
	// Animated is set for a sticker whose provider says whether it is animated.
	Animated *bool `json:"animated,omitempty"`
}

// Location is a shared location. Latitude and Longitude are numbers whatever form the provider
// sent them in.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Contact is one contact card, its fields named once for both providers' spellings.
type Contact struct {
	Name      Name      `json:"name"`
	Birthday  string    `json:"birthday,omitempty"`
	Addresses []Address `json:"addresses,omitempty"`
	Emails    []Email   `json:"emails,omitempty"`
	Phones    []Phone   `json:"phones,omitempty"`
	Org       *Org      `json:"org,omitempty"`
	URLs      []URL     `json:"urls,omitempty"`
}

// Name is a contact card's name.
type Name struct {
	Formatted string `json:"formatted"`
	First     string `json:"first,omitempty"`
	Middle    string `json:"middle,omitempty"`
	Last      string `json:"last,omitempty"`
	Prefix    string `json:"prefix,omitempty"`
	Suffix    string `json:"suffix,omitempty"`
}

// Address is a contact card's postal address.
type Address struct {
	Street      string `json:"street,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	Zip         string `json:"zip,omitempty"`
	Country     string `json:"country,omitempty"`
	CountryCode string `json:"countryCode,omitempty"`
	Type        string `json:"type,omitempty"`
}

// Email is a contact card's e-mail address.
type Email struct {
	Email string `json:"email,omitempty"`
	Type  string `json:"type,omitempty"`
}

// Phone is a contact card's phone number; WAID is its WhatsApp id where the provider gives one.
type Phone struct {
	Phone string `json:"phone,omitempty"`
	Type  string `json:"type,omitempty"`
	WAID  string `json:"waId,omitempty"`
}

// Org is a contact card's organisation.
type Org struct {
	Company    string `json:"company,omitempty"`
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
}

// URL is a contact card's web address.
type URL struct {
	URL  string `json:"url,omitempty"`
	Type string `json:"type,omitempty"`
}

// Reaction is an emoji reaction to an earlier message; Emoji is the whole grapheme as sent.
type Reaction struct {
	MessageID string `json:"messageId"`
	Emoji     string `json:"emoji"`
}

// Reply is the customer's choice in a template button or an interactive message: Kind is
// "button" (a template's quick-reply button, with Payload), "buttonReply", "listReply", or
// "nfmReply" for a WhatsApp Flow's response (ID the Flow's name, Title its body, Payload the
// answers as the JSON text Meta sends).
type Reply struct {
	Kind        string `json:"kind"`
	ID          string `json:"id,omitempty"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Payload     string `json:"payload,omitempty"`
}

// Interactive is an interactive message as ITNIO Tech documents it: the message's own parts, its
// buttons or its list sections.
type Interactive struct {
	Type     string    `json:"type"`
	Header   string    `json:"header,omitempty"`
	Body     string    `json:"body,omitempty"`
	Footer   string    `json:"footer,omitempty"`
	Button   string    `json:"button,omitempty"`
	Buttons  []Reply   `json:"buttons,omitempty"`
	Sections []Section `json:"sections,omitempty"`
}

// Section is one section of an interactive list.
type Section struct {
	Title string  `json:"title,omitempty"`
	Rows  []Reply `json:"rows,omitempty"`
}

// Error is why the provider could not deliver a message's content (Kind "error"). Code is text
// whatever form the provider sent it in; Details holds an object as its JSON text.
type Error struct {
	Code    string `json:"code"`
	Title   string `json:"title,omitempty"`
	Details string `json:"details,omitempty"`
	Message string `json:"message,omitempty"`
}

// Context is what a message refers to: the message it replies to, whether it was forwarded, the
// product it asks about.
type Context struct {
	MessageID           string   `json:"messageId,omitempty"`
	From                string   `json:"from,omitempty"`
	Forwarded           bool     `json:"forwarded,omitempty"`
	FrequentlyForwarded bool     `json:"frequentlyForwarded,omitempty"`
	ReferredProduct     *Product `json:"referredProduct,omitempty"`
}

// Product is a catalogue product a message refers to.
type Product struct {
	CatalogID         string `json:"catalogId,omitempty"`
	ProductRetailerID string `json:"productRetailerId,omitempty"`
}

// Content is m without what identifies one delivery of it rather than what it says: the provider,
// its ids, its word for the type, and where its attachment is fetched from (a link or a file path
// and media id). One message delivered by two providers has the same Content: Diff(a.Content(),
// b.Content(), nil) is empty.
func (m Message) Content() Message {
	m.Provider, m.EventID, m.MessageID, m.WAMID, m.Type = "", "", "", "", ""
	if m.Media != nil {
		media := *m.Media
		media.Link, media.FilePath, media.ID = "", "", ""
		m.Media = &media
	}
	return m
}

package mockprovider

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/media"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/schemas"
)

// ITNIO Tech: envelope {appId, businessPhone, channelType, eventType, from, message, messageId,
// timestamp} in the examples' order; unix seconds; snake_case contact cards; media as {id, filePath,
// mimeType, sha256}.
func init() {
	register(&Provider{
		Name:              schemas.ITNIOTech,
		Event:             itnioEvent,
		MessagePointer:    "/message",
		IDPointer:         "/messageId",
		EnvelopeIDPointer: "/messageId",
		SentAtPointer:     "/timestamp",
		SenderPointer:     "/from/phone",
		IdentityPointers:  []string{"/messageId", "/timestamp"},
		Personal: []string{
			"/businessPhone", "/from/name", "/from/phone", "/message/context/from", "/message/text/body",
			"/message/*/caption", "/message/*/filePath", "/message/*/filename",
			"/message/location/name", "/message/location/address",
			"/message/contacts/*/addresses/*/street", "/message/contacts/*/addresses/*/city", "/message/contacts/*/addresses/*/state",
			"/message/contacts/*/addresses/*/zip", "/message/contacts/*/addresses/*/country", "/message/contacts/*/addresses/*/country_code",
			"/message/contacts/*/birthday", "/message/contacts/*/emails/*/email", "/message/contacts/*/name/*", "/message/contacts/*/org/*",
			"/message/contacts/*/phones/*/phone", "/message/contacts/*/urls/*/url",
		},
		// The context, where the first two live, may come with a message of any type.
		quirks: []quirk{
			{ID: "itniotech/context-flags-as-strings", Example: `forwarded "true"`, Table: "forwarded true",
				form: formByType("string", "/message/context/forwarded")},
			{ID: "itniotech/frequently-forwarded-trailing-space", Example: `key "frequently_forwarded "`, Table: `key "frequently_forwarded"`,
				form: formByKey("/message/context/frequently_forwarded ", "/message/context/frequently_forwarded")},
			{ID: "itniotech/error-details-object-or-string", Example: "details a string", Table: "details an object",
				Types: []string{"unknown", "unsupported"}, form: formByType("string", "/message/unknown/details", "/message/unsupported/details")},
		},
		// "After a failed push the provider retries after intervals of 1 minute, 3 minutes and 5 minutes."
		RetrySchedule: []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute},
		sentAt:        unixSeconds,
		write:         writeITNIOTech,
		parse:         parseITNIOTech,
		carry:         carryITNIOTech,
		render:        renderITNIOTech,
		mutations: []Mutation{
			{ID: "timestamp-milliseconds", Description: "timestamp in milliseconds (13 digits) where seconds are documented", Expect: Reject, Schema: SchemaInvalid,
				apply: func(m *mutating) error {
					sent, err := m.p.SentAt(m.doc)
					if err != nil {
						return err
					}
					return jsonpointer.Set(m.doc, m.p.SentAtPointer, json.Number(strconv.FormatInt(sent.Unix()*1000, 10)))
				}},
			{ID: "retry-send-num", Description: "a redelivery: sendNum 2 on an otherwise identical payload", Expect: Tolerate, Schema: SchemaValid,
				apply: func(m *mutating) error { return jsonpointer.Set(m.doc, "/sendNum", json.Number("2")) }, meaning: sameMessage},
		},
	})
}

const itnioEvent = "up-message-event"

func writeITNIOTech(b *builder, typ string) error {
	f, w, m := b.f, &b.w, b.msg
	sent := f.moment()
	business := f.phone()
	b.payload.ID = f.hex(32)
	b.payload.SentAt = sent.Truncate(1e9)
	m.MessageID, m.Business, m.SentAt = b.payload.ID, business, b.payload.SentAt.UTC()
	if typ == "unknown" || typ == "unsupported" {
		m.Kind = "error"
	}

	w.beginObject()
	w.str("appId", f.LetterN(8))
	w.str("businessPhone", business)
	w.int("channelType", 0)
	w.str("eventType", itnioEvent)
	m.From.Name = f.personName()
	m.From.Phone = f.phone()
	w.object("from")
	w.str("name", m.From.Name)
	w.str("phone", m.From.Phone)
	w.endObject()
	w.object("message")
	if err := writeITNIOMessage(b, typ, business); err != nil {
		return err
	}
	w.str("type", typ)
	if typ == "interactive" || b.optional(0.15) {
		writeITNIOContext(b, business)
	}
	w.endObject()
	w.str("messageId", b.payload.ID)
	if b.optional(0.3) {
		w.int("sendNum", 1)
		w.str("wsCode", f.Username())
	}
	w.int("timestamp", sent.Unix())
	w.endObject()
	return nil
}

func writeITNIOMessage(b *builder, typ, business string) error {
	f, w, m := b.f, &b.w, b.msg
	switch typ {
	case "text":
		m.Text = &message.Text{Body: f.textBody()}
		w.object("text")
		w.str("body", m.Text.Body)
		w.endObject()
	case "image", "video", "audio", "document", "sticker":
		ref, err := b.attach(media.Kind(typ))
		if err != nil {
			return err
		}
		m.Media = &message.Media{ID: f.digits(16), FilePath: ref.URL, MIMEType: ref.MIMEType, SHA256: ref.SHA256}
		w.object(typ)
		w.str("id", m.Media.ID)
		w.str("mimeType", ref.MIMEType)
		w.str("filePath", ref.URL)
		w.str("sha256", ref.SHA256)
		switch typ {
		case "image":
			m.Media.Caption = caption(f)
			w.str("caption", m.Media.Caption)
		case "video", "document":
			m.Media.Caption, m.Media.Filename = caption(f), ref.Filename
			w.str("caption", m.Media.Caption)
			w.str("filename", ref.Filename)
		case "sticker":
			animated := f.chance(0.3)
			m.Media.Animated = &animated
			w.bool("animated", animated)
		}
		w.endObject()
	case "location":
		lat, lon := f.coordinates()
		m.Location = &message.Location{Address: f.Street() + ", " + f.City() + ", " + f.Country(),
			Latitude: parsedFloat(lat, 12), Longitude: parsedFloat(lon, 11)}
		w.object("location")
		w.str("address", m.Location.Address)
		w.str("latitude", strconv.FormatFloat(lat, 'f', 12, 64))
		w.str("longitude", strconv.FormatFloat(lon, 'f', 11, 64))
		m.Location.Name = f.Company()
		w.str("name", m.Location.Name)
		w.endObject()
	case "unknown", "unsupported":
		e := message.Error{Code: "131051", Title: "Unsupported message type", Message: "Message type unknown"}
		w.object(typ)
		w.str("code", e.Code)
		if b.exampleForm() {
			e.Details = "Message type is not currently supported"
			w.str("details", e.Details)
		} else {
			w.object("details")
			start := len(w.buf) - 1
			w.str("reason", "Message type is not currently supported")
			w.endObject()
			e.Details = string(w.since(start))
		}
		w.str("title", e.Title)
		w.str("message", e.Message)
		w.endObject()
		m.Errors = []message.Error{e}
	case "interactive":
		writeITNIOInteractive(b)
	case "contacts":
		w.array("contacts")
		for range f.between(1, 3) {
			m.Contacts = append(m.Contacts, writeContactCard(b, itnioContactKeys))
		}
		w.endArray()
	default:
		return fmt.Errorf("%w %q", ErrUnknownType, typ)
	}
	return nil
}

var itnioContactKeys = contactKeys{
	countryCode: "country_code", firstName: "first_name", formattedName: "formatted_name",
	lastName: "last_name", middleName: "middle_name",
}

// writeITNIOInteractive writes the two documented shapes: the example's list message and the table's
// reply buttons.
func writeITNIOInteractive(b *builder) {
	f, w := b.f, &b.w
	in := &message.Interactive{Type: "button"}
	b.msg.Interactive = in
	w.object("interactive")
	list := f.chance(0.5)
	w.object("action")
	if list {
		in.Type, in.Button = "list", f.pick([]string{"Choose", "Menu", "Options", "选择"})
		w.str("button", in.Button)
		w.array("sections")
		for s := range f.between(1, 4) {
			var section message.Section
			w.beginObject()
			w.array("rows")
			for range f.between(1, 3) {
				row := message.Reply{Kind: "listReply", Description: f.Sentence(f.between(2, 6)), ID: strconv.Itoa(1000 + s*10 + f.intn(10)), Title: f.ProductName()}
				section.Rows = append(section.Rows, row)
				w.beginObject()
				w.str("description", row.Description)
				w.str("id", row.ID)
				w.str("title", row.Title)
				w.endObject()
			}
			w.endArray()
			section.Title = "Group header " + strconv.Itoa(s+1)
			w.str("title", section.Title)
			w.endObject()
			in.Sections = append(in.Sections, section)
		}
		w.endArray()
	} else {
		w.array("buttons")
		for i := range f.between(1, 3) {
			reply := message.Reply{Kind: "buttonReply", ID: "btn-" + strconv.Itoa(i+1) + "-" + f.hex(4), Title: f.pick([]string{"Yes", "No", "Later", "Call me", "是", "لا"})}
			in.Buttons = append(in.Buttons, reply)
			w.beginObject()
			w.object("reply")
			w.str("id", reply.ID)
			w.str("title", reply.Title)
			w.endObject()
			w.str("type", "reply")
			w.endObject()
		}
		w.endArray()
	}
	w.endObject()
	in.Body = f.Sentence(f.between(4, 12))
	w.object("body")
	w.str("text", in.Body)
	w.endObject()
	in.Footer = f.Sentence(f.between(2, 5))
	w.object("footer")
	w.str("text", in.Footer)
	w.endObject()
	in.Header = f.Sentence(f.between(2, 5))
	w.object("header")
	w.str("text", in.Header)
	w.str("type", "text")
	w.endObject()
	w.str("type", in.Type)
	w.endObject()
}

// writeITNIOContext writes the quoted message, sometimes forwarded, sometimes about a product.
func writeITNIOContext(b *builder, business string) {
	f, w := b.f, &b.w
	c := &message.Context{From: business}
	b.msg.Context = c
	w.object("context")
	if b.optional(0.4) {
		forwardedKey := "frequently_forwarded"
		asString := b.exampleForm()
		if b.exampleForm() {
			forwardedKey += " "
		}
		frequently := f.chance(0.2)
		c.Forwarded, c.FrequentlyForwarded = true, frequently
		if asString {
			w.str("forwarded", "true")
			w.str(forwardedKey, strconv.FormatBool(frequently))
		} else {
			w.bool("forwarded", true)
			w.bool(forwardedKey, frequently)
		}
	}
	w.str("from", business)
	c.MessageID = f.hex(32)
	w.str("id", c.MessageID)
	if b.optional(0.25) {
		c.ReferredProduct = &message.Product{CatalogID: f.digits(15), ProductRetailerID: "SKU-" + f.hex(6)}
		w.object("referred_product")
		w.str("catalog_id", c.ReferredProduct.CatalogID)
		w.str("product_retailer_id", c.ReferredProduct.ProductRetailerID)
		w.endObject()
	}
	w.endObject()
}

// carryITNIOTech leaves what an ITNIO Tech message has a place for: no envelope id or wamid, a send
// time in whole seconds, no caption on audio and stickers, a filename
// on videos and documents only, no WhatsApp id on a card's phones.
func carryITNIOTech(m *message.Message) {
	m.EventID, m.WAMID = "", ""
	m.SentAt = m.SentAt.Truncate(time.Second)
	if md := m.Media; md != nil {
		if m.Kind == "audio" || m.Kind == "sticker" {
			md.Caption = ""
		}
		if m.Kind != "video" && m.Kind != "document" {
			md.Filename = ""
		}
		if m.Kind != "sticker" {
			md.Animated = nil
		}
	}
	for i := range m.Contacts {
		for j := range m.Contacts[i].Phones {
			m.Contacts[i].Phones[j].WAID = ""
		}
	}
}

// renderITNIOTech writes m, fitted by carryITNIOTech, as an ITNIO Tech uplink message, with a message
// id, app id and media id of its own.
func renderITNIOTech(b *builder, m *message.Message) error {
	f, w := b.f, &b.w
	m.Type = m.Kind
	if m.Kind == "error" {
		m.Type = "unknown"
	}
	m.MessageID = f.hex(32)
	w.beginObject()
	w.str("appId", f.LetterN(8))
	w.str("businessPhone", m.Business)
	w.int("channelType", 0)
	w.str("eventType", itnioEvent)
	w.object("from")
	if m.From.Name != "" {
		w.str("name", m.From.Name)
	}
	w.str("phone", m.From.Phone)
	w.endObject()
	w.object("message")
	switch {
	case m.Text != nil:
		w.object("text")
		w.str("body", m.Text.Body)
		w.endObject()
	case m.Media != nil:
		if m.Media.FilePath == "" {
			m.Media.FilePath = m.Media.Link // where to fetch it, as ITNIO Tech says it
		}
		m.Media.Link = ""
		if m.Media.ID == "" {
			m.Media.ID = f.digits(16)
		}
		w.object(m.Type)
		w.str("id", m.Media.ID)
		w.str("mimeType", m.Media.MIMEType)
		w.str("filePath", m.Media.FilePath)
		w.str("sha256", m.Media.SHA256)
		if m.Media.Caption != "" {
			w.str("caption", m.Media.Caption)
		}
		if m.Media.Filename != "" {
			w.str("filename", m.Media.Filename)
		}
		if m.Media.Animated != nil {
			w.bool("animated", *m.Media.Animated)
		}
		w.endObject()
	case m.Location != nil:
		w.object("location")
		if m.Location.Address != "" {
			w.str("address", m.Location.Address)
		}
		w.str("latitude", strconv.FormatFloat(m.Location.Latitude, 'f', -1, 64))
		w.str("longitude", strconv.FormatFloat(m.Location.Longitude, 'f', -1, 64))
		if m.Location.Name != "" {
			w.str("name", m.Location.Name)
		}
		w.endObject()
	case m.Contacts != nil:
		renderContactCards(w, itnioContactKeys, m.Contacts)
	case len(m.Errors) == 1:
		e := m.Errors[0]
		w.object(m.Type)
		w.str("code", e.Code)
		if e.Details != "" {
			w.str("details", e.Details)
		}
		if e.Title != "" {
			w.str("title", e.Title)
		}
		if e.Message != "" {
			w.str("message", e.Message)
		}
		w.endObject()
	default:
		return fmt.Errorf("render %s: %w", m.Kind, ErrNotApplicable)
	}
	w.str("type", m.Type)
	if c := m.Context; c != nil {
		w.object("context")
		if c.Forwarded {
			w.bool("forwarded", true)
			w.bool("frequently_forwarded", c.FrequentlyForwarded)
		}
		w.str("from", c.From)
		w.str("id", c.MessageID)
		if p := c.ReferredProduct; p != nil {
			w.object("referred_product")
			w.str("catalog_id", p.CatalogID)
			w.str("product_retailer_id", p.ProductRetailerID)
			w.endObject()
		}
		w.endObject()
	}
	w.endObject()
	w.str("messageId", m.MessageID)
	w.int("timestamp", m.SentAt.Unix())
	w.endObject()
	return nil
}

// parseITNIOTech reads an ITNIO Tech uplink message into the model: messageId as MessageID (ITNIO
// passes no WhatsApp id), timestamp as unix seconds, coordinates from their strings, context flags
// from true or "true", under "frequently_forwarded" or the example's "frequently_forwarded ".
func parseITNIOTech(doc map[string]any) (message.Message, error) {
	msg := obj(doc, "message")
	from := obj(doc, "from")
	typ := str(msg, "type")
	m := message.Message{
		MessageID: str(doc, "messageId"), From: message.Sender{Phone: str(from, "phone"), Name: str(from, "name")},
		Business: str(doc, "businessPhone"), SentAt: time.Unix(int64(number(doc["timestamp"])), 0).UTC(),
		Type: typ, Kind: neutralKind(typ, "unknown", "unsupported"),
	}
	switch typ {
	case "text":
		m.Text = &message.Text{Body: str(obj(msg, "text"), "body")}
	case "image", "audio", "video", "sticker", "document":
		o := obj(msg, typ)
		m.Media = &message.Media{FilePath: str(o, "filePath"), ID: str(o, "id"), MIMEType: str(o, "mimeType"),
			SHA256: str(o, "sha256"), Caption: str(o, "caption"), Filename: str(o, "filename")}
		if a, ok := o["animated"].(bool); ok {
			m.Media.Animated = &a
		}
	case "location":
		o := obj(msg, "location")
		m.Location = &message.Location{Latitude: number(o["latitude"]), Longitude: number(o["longitude"]),
			Name: str(o, "name"), Address: str(o, "address")}
	case "contacts":
		m.Contacts = contactCards(arr(msg, "contacts"), cardKeys{countryCode: "country_code", formattedName: "formatted_name",
			firstName: "first_name", middleName: "middle_name", lastName: "last_name"})
	case "interactive":
		i := obj(msg, "interactive")
		action := obj(i, "action")
		in := &message.Interactive{Type: str(i, "type"), Header: str(obj(i, "header"), "text"), Body: str(obj(i, "body"), "text"),
			Footer: str(obj(i, "footer"), "text"), Button: str(action, "button")}
		for _, b := range arr(action, "buttons") {
			r := obj(b, "reply")
			in.Buttons = append(in.Buttons, message.Reply{Kind: "buttonReply", ID: str(r, "id"), Title: str(r, "title")})
		}
		for _, sec := range arr(action, "sections") {
			section := message.Section{Title: str(sec, "title")}
			for _, row := range arr(sec, "rows") {
				section.Rows = append(section.Rows, message.Reply{Kind: "listReply", ID: str(row, "id"), Title: str(row, "title"), Description: str(row, "description")})
			}
			in.Sections = append(in.Sections, section)
		}
		m.Interactive = in
	case "unknown", "unsupported":
		e := obj(msg, typ)
		m.Errors = []message.Error{{Code: str(e, "code"), Title: str(e, "title"), Details: text(e["details"]), Message: str(e, "message")}}
	}
	if c := obj(msg, "context"); c != nil {
		frequently, ok := c["frequently_forwarded"]
		if !ok {
			frequently = c["frequently_forwarded "]
		}
		m.Context = &message.Context{MessageID: str(c, "id"), From: str(c, "from"), Forwarded: flag(c["forwarded"]), FrequentlyForwarded: flag(frequently)}
		if p := obj(c, "referred_product"); p != nil {
			m.Context.ReferredProduct = &message.Product{CatalogID: str(p, "catalog_id"), ProductRetailerID: str(p, "product_retailer_id")}
		}
	}
	return m, nil
}

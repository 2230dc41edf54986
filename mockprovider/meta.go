package mockprovider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/media"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/schemas"
)

// Meta's WhatsApp Cloud API, as its webhook reference pages document it: the envelope
// {object: "whatsapp_business_account", entry[{id, changes[{value, field: "messages"}]}]}, in each
// change's value the business number's metadata, the senders' profiles and the messages (or the
// status updates of the business's own messages); snake_case throughout; unix seconds as strings;
// media as {id, mime_type, sha256, url}. Every body is signed: X-Hub-Signature-256 is
// "sha256=" and the hex HMAC-SHA256 of the raw body keyed with the app secret.
func init() {
	const msg = "/entry/0/changes/0/value/messages/0"
	const each = "/entry/*/changes/*/value/messages/*"
	register(&Provider{
		Name:           schemas.Meta,
		Event:          metaObject,
		MessagePointer: msg,
		IDPointer:      msg + "/id",
		// Meta gives a webhook no id of its own: entry.id is the business account's, the same on
		// every webhook, so a receiver must not deduplicate on it.
		EnvelopeIDPointer: "",
		SentAtPointer:     msg + "/timestamp",
		SenderPointer:     msg + "/from",
		IdentityPointers:  []string{msg + "/id", msg + "/timestamp"},
		Personal: []string{
			"/entry/*/changes/*/value/metadata/display_phone_number",
			"/entry/*/changes/*/value/contacts/*/profile/name", "/entry/*/changes/*/value/contacts/*/wa_id",
			"/entry/*/changes/*/value/statuses/*/recipient_id",
			each + "/from", each + "/context/from", each + "/text/body", each + "/*/caption", each + "/*/url", each + "/*/filename",
			each + "/location/name", each + "/location/address", each + "/location/url",
			each + "/system/body", each + "/system/wa_id", each + "/system/new_wa_id", each + "/order/text",
			each + "/interactive/nfm_reply/response_json", each + "/referral/headline", each + "/referral/body",
			each + "/contacts/*/addresses/*/street", each + "/contacts/*/addresses/*/city", each + "/contacts/*/addresses/*/state",
			each + "/contacts/*/addresses/*/zip", each + "/contacts/*/addresses/*/country", each + "/contacts/*/addresses/*/country_code",
			each + "/contacts/*/birthday", each + "/contacts/*/emails/*/email", each + "/contacts/*/name/*", each + "/contacts/*/org/*",
			each + "/contacts/*/phones/*/phone", each + "/contacts/*/phones/*/wa_id", each + "/contacts/*/urls/*/url",
		},
		// The two error types share their errors array; only unsupported adds an object of its own.
		TypeObjectKeys: map[string][]string{"unknown": {"errors"}, "unsupported": {"errors", "unsupported"}},
		otherEvents:    []otherEvent{{Type: "statuses", write: writeMetaStatus}},
		quirks: []quirk{
			{ID: "meta/reaction-removed-emoji", Example: `emoji ""`, Table: "emoji omitted",
				Types: []string{"reaction"}, form: reactionRemovedForm(msg + "/reaction")},
			{ID: "meta/system-type-names", Example: `type "user_changed_number"`, Table: `type "customer_changed_number"`,
				Types: []string{"system"}, form: systemTypeForm(msg + "/system/type")},
		},
		// "Failed deliveries are retried with decreasing frequency for up to 7 days." Meta gives no
		// schedule; this one backs off from a minute to a day and ends inside the seventh day.
		RetrySchedule: []time.Duration{
			time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour,
			8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour, 24 * time.Hour, 24 * time.Hour, 24 * time.Hour, 16 * time.Hour,
		},
		Auth: signatureAuth{SignatureHeader: "X-Hub-Signature-256", Prefix: "sha256="},
		// "GET <url>?hub.mode=subscribe&hub.challenge=C&hub.verify_token=T": answer 200 and C.
		Verification: &Verification{ModeParam: "hub.mode", Mode: "subscribe", ChallengeParam: "hub.challenge", TokenParam: "hub.verify_token"},
		Batch:        batchMeta,
		Split:        splitMeta,
		sentAt:       metaSeconds,
		write:        writeMeta,
		parse:        parseMeta,
		carry:        carryMeta,
		render:       renderMeta,
		mutations: []Mutation{
			{ID: "timestamp-as-number", Description: "timestamp a JSON number where the reference writes unix seconds as a string", Expect: Reject, Schema: SchemaInvalid,
				apply: func(m *mutating) error {
					sent, err := m.p.SentAt(m.doc)
					if err != nil {
						return err
					}
					return jsonpointer.Set(m.doc, m.p.SentAtPointer, json.Number(strconv.FormatInt(sent.Unix(), 10)))
				}},
			{ID: "batched-with-status", Description: "the message batched with a status update in the same change, as Meta may batch updates", Expect: Tolerate, Schema: SchemaValid,
				apply: func(m *mutating) error {
					b := &builder{f: m.f}
					writeMetaStatus(b)
					status, err := jsoninput.Decode(b.w.buf)
					if err != nil {
						return err
					}
					statuses, err := jsonpointer.Get(status, "/entry/0/changes/0/value/statuses")
					if err != nil {
						return err
					}
					return jsonpointer.Set(m.doc, "/entry/0/changes/0/value/statuses", statuses)
				}, meaning: sameMessage},
		},
	})
}

// metaObject is the envelope's object, the same on every webhook of the WhatsApp Business Account.
const metaObject = "whatsapp_business_account"

// metaSeconds reads Meta's time: whole unix seconds written as a string.
func metaSeconds(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("%s is not a string of unix seconds", jsonText(v))
	}
	return unixSeconds(json.Number(s))
}

// reactionRemovedForm tells the two forms of a removed reaction apart: an empty emoji (the
// example's) or none (the table's). A reaction with an emoji carries neither.
func reactionRemovedForm(ptr string) func(doc any) QuirkMode {
	return func(doc any) QuirkMode {
		r, err := jsonpointer.Get(doc, ptr)
		obj, ok := r.(map[string]any)
		if err != nil || !ok {
			return ""
		}
		switch emoji, present := obj["emoji"]; {
		case !present:
			return QuirksTable
		case emoji == "":
			return QuirksExample
		}
		return ""
	}
}

// systemTypeForm tells the system page's user_changed_number from the messages reference's
// customer_changed_number.
func systemTypeForm(ptr string) func(doc any) QuirkMode {
	return func(doc any) QuirkMode {
		switch v, _ := jsonpointer.Get(doc, ptr); v {
		case "user_changed_number":
			return QuirksExample
		case "customer_changed_number":
			return QuirksTable
		}
		return ""
	}
}

// openMetaValue opens the envelope down to its one change's value and writes the business number's
// metadata; closeMetaValue closes what it opened.
func openMetaValue(b *builder, business string) {
	f, w := b.f, &b.w
	w.beginObject()
	w.str("object", metaObject)
	w.array("entry")
	w.beginObject()
	w.str("id", f.digits(15))
	w.array("changes")
	w.beginObject()
	w.object("value")
	w.str("messaging_product", "whatsapp")
	w.object("metadata")
	w.str("display_phone_number", business)
	w.str("phone_number_id", f.digits(15))
	w.endObject()
}

func closeMetaValue(w *jsonWriter) {
	w.endObject() // value
	w.str("field", "messages")
	w.endObject()
	w.endArray()
	w.endObject()
	w.endArray()
	w.endObject()
}

// writeMetaContacts writes the sender's profile, which every inbound message but a system notice
// carries; a full payload (b set and full) adds the username, business-scoped user id and identity
// hash the pages show for users who have them.
func writeMetaContacts(w *jsonWriter, s message.Sender, b *builder) {
	extra := b != nil && b.optional(0.05)
	w.array("contacts")
	w.beginObject()
	w.object("profile")
	if s.Name != "" {
		w.str("name", s.Name)
	}
	if extra {
		w.str("username", "@"+strings.ToLower(b.f.LetterN(8)))
	}
	w.endObject()
	w.str("wa_id", s.Phone)
	if extra {
		w.str("user_id", "US."+b.f.digits(16))
		w.str("identity_key_hash", b.f.hex(16))
	}
	w.endObject()
	w.endArray()
}

func writeMeta(b *builder, typ string) error {
	f, w, m := b.f, &b.w, b.msg
	sent := f.moment().Truncate(time.Second)
	m.Business = f.phone()
	m.From = message.Sender{Phone: f.phone(), Name: f.personName()}
	m.MessageID = f.wamid(m.From.Phone)
	m.WAMID, m.SentAt = m.MessageID, sent.UTC()
	b.payload.ID, b.payload.SentAt = m.MessageID, sent
	if typ == "unsupported" || typ == "unknown" {
		m.Kind = "error"
	}

	openMetaValue(b, m.Business)
	// A system notice comes without the sender's profile; a full payload has it, as the schema
	// allows.
	if typ != "system" || b.optional(0) {
		writeMetaContacts(w, m.From, b)
	} else {
		m.From.Name = "" // named in the notice's body only
	}
	w.array("messages")
	w.beginObject()
	if typ == "button" || typ == "interactive" || b.optional(0.25) {
		writeMetaContext(b, typ, m.Business)
	}
	w.str("from", m.From.Phone)
	w.str("id", m.MessageID)
	w.str("timestamp", strconv.FormatInt(sent.Unix(), 10))
	w.str("type", typ)
	if err := writeMetaMessage(b, typ); err != nil {
		return err
	}
	// Click-to-WhatsApp ads start conversations with a text or media message; a full payload shows
	// the referral on every type, as the schema allows it.
	if b.optional(0) || (typ == "text" || typ == "image" || typ == "video") && b.optional(0.05) {
		writeMetaReferral(b)
	}
	w.endObject()
	w.endArray()
	if b.full {
		// Meta may batch a status update and a webhook-level error into the same change.
		writeMetaStatuses(b, f.phone(), true)
		writeMetaErrors(w, []message.Error{{Code: "131000", Title: "Something went wrong", Message: "Something went wrong",
			Details: "Unknown error"}}, true, true)
	}
	closeMetaValue(w)
	return nil
}

func writeMetaMessage(b *builder, typ string) error {
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
		m.Media = &message.Media{ID: f.digits(16), Link: ref.URL, MIMEType: ref.MIMEType, SHA256: ref.SHA256}
		switch typ {
		case "image", "video":
			m.Media.Caption = caption(f)
		case "document":
			m.Media.Caption, m.Media.Filename = caption(f), ref.Filename
		case "sticker":
			animated := f.chance(0.3)
			m.Media.Animated = &animated
		}
		writeMetaMedia(w, typ, m.Media)
	case "location":
		lat, lon := f.coordinates()
		m.Location = &message.Location{Latitude: parsedFloat(lat, 7), Longitude: parsedFloat(lon, 7)}
		w.object("location")
		w.float("latitude", lat, 7)
		w.float("longitude", lon, 7)
		if b.optional(0.6) {
			m.Location.Name, m.Location.Address = f.Company(), f.Street()+", "+f.City()+", "+f.Country()
			w.str("name", m.Location.Name)
			w.str("address", m.Location.Address)
		}
		if b.optional(0.2) {
			w.str("url", "https://"+strings.ToLower(f.LetterN(8))+".example.com")
		}
		w.endObject()
	case "contacts":
		w.array("contacts")
		for range f.between(1, 3) {
			m.Contacts = append(m.Contacts, writeContactCard(b, metaContactKeys))
		}
		w.endArray()
	case "interactive":
		writeMetaInteractive(b)
	case "button":
		text := f.pick([]string{"Yes", "No", "Talk to an agent", "Track my order", "Stop promotions", "Sí", "नहीं"})
		m.Reply = &message.Reply{Kind: "button", Title: text, Payload: strings.ToUpper(strings.ReplaceAll(text, " ", "_")) + "_PAYLOAD"}
		w.object("button")
		w.str("payload", m.Reply.Payload)
		w.str("text", m.Reply.Title)
		w.endObject()
	case "reaction":
		m.Reaction = &message.Reaction{MessageID: f.wamid(m.Business)}
		w.object("reaction")
		w.str("message_id", m.Reaction.MessageID)
		// A full payload is a removal, so that it carries the quirk in one of its forms.
		switch {
		case !b.full && f.chance(0.6):
			m.Reaction.Emoji = f.emoji()
			w.str("emoji", m.Reaction.Emoji)
		case b.exampleForm():
			w.str("emoji", "") // removed, as the example shows it
		}
		w.endObject()
	case "order":
		w.object("order")
		start := len(w.buf) - 1
		w.str("catalog_id", f.digits(15))
		if b.optional(0.6) {
			w.str("text", f.Sentence(f.between(2, 8)))
		}
		writeOrderItems(b, orderKeys{items: "product_items", retailerID: "product_retailer_id", price: "item_price",
			currencies: []string{"USD", "INR", "IDR", "BRL", "EUR", "MXN"}})
		w.endObject()
		m.Order = w.since(start)
	case "system":
		newNumber := f.phone()
		w.object("system")
		start := len(w.buf) - 1
		w.str("body", "User "+m.From.Name+" changed from "+m.From.Phone+" to "+newNumber)
		example, full := b.exampleForm(), b.optional(0)
		if example || full {
			w.str("new_wa_id", newNumber)
		}
		if !example || full {
			w.str("wa_id", newNumber)
		}
		if example {
			w.str("type", "user_changed_number")
		} else {
			w.str("type", "customer_changed_number")
		}
		if full {
			// What the older identity-change notices and the newer user-id changes add.
			w.str("identity", f.hex(16))
			w.str("customer", m.From.Phone)
			w.str("user_id", "US."+f.digits(16))
			w.str("previous_user_id", "US."+f.digits(16))
		}
		w.endObject()
		m.System = w.since(start)
	case "unsupported", "unknown":
		e := message.Error{Code: "131051", Title: "Message type unknown", Message: "Message type unknown",
			Details: "Message type is currently not supported."}
		if typ == "unknown" {
			e = message.Error{Code: "131051", Title: "Unsupported message type", Details: "Message type is not currently supported"}
		}
		m.Errors = []message.Error{e}
		writeMetaErrors(w, m.Errors, typ == "unknown", b.full)
		if typ == "unsupported" {
			w.object("unsupported")
			w.str("type", f.pick([]string{"poll_creation", "event", "edit", "view_once", "album"}))
			w.endObject()
		}
	default:
		return fmt.Errorf("%w %q", ErrUnknownType, typ)
	}
	return nil
}

var metaContactKeys = contactKeys{
	countryCode: "country_code", firstName: "first_name", formattedName: "formatted_name",
	lastName: "last_name", middleName: "middle_name", waID: "wa_id",
}

// writeMetaMedia writes a media object as the per-type pages print it, with the download URL the
// newer pages show beside the media id (where wahook serve hosts the file).
func writeMetaMedia(w *jsonWriter, typ string, md *message.Media) {
	w.object(typ)
	if md.Caption != "" {
		w.str("caption", md.Caption)
	}
	if md.Filename != "" {
		w.str("filename", md.Filename)
	}
	if md.Animated != nil {
		w.bool("animated", *md.Animated)
	}
	w.str("mime_type", md.MIMEType)
	w.str("sha256", md.SHA256)
	w.str("id", md.ID)
	w.str("url", md.Link)
	if typ == "audio" {
		w.bool("voice", false)
	}
	w.endObject()
}

// writeMetaErrors writes errors as the unsupported page does (title, message, error_data.details),
// or as the older messages reference did (details and title beside the code); every writes both, and
// the link to the error code's documentation.
func writeMetaErrors(w *jsonWriter, errs []message.Error, older, every bool) {
	w.array("errors")
	for _, e := range errs {
		code, err := strconv.ParseInt(e.Code, 10, 32)
		if err != nil || code < 0 {
			code = 131051 // the model's code is text; Meta's is a number
		}
		w.beginObject()
		w.int("code", code)
		if older || every {
			w.str("details", e.Details)
		}
		w.str("title", e.Title)
		if !older || every {
			if e.Message != "" || every {
				w.str("message", e.Message)
			}
			w.object("error_data")
			w.str("details", e.Details)
			w.endObject()
		}
		if every {
			w.str("href", "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/")
		}
		w.endObject()
	}
	w.endArray()
}

// writeMetaInteractive writes the customer's reply to an interactive message: a reply button, a
// list row, or a Flow's response ("nfm_reply", its answers as JSON in a string).
func writeMetaInteractive(b *builder) {
	f, w, m := b.f, &b.w, b.msg
	w.object("interactive")
	switch f.intn(3) {
	case 0:
		m.Reply = &message.Reply{Kind: "buttonReply", ID: "btn_" + f.hex(8), Title: f.pick([]string{"Confirm", "Cancel", "Reschedule", "Confirmar", "تأكيد"})}
		w.str("type", "button_reply")
		w.object("button_reply")
		w.str("id", m.Reply.ID)
		w.str("title", m.Reply.Title)
		w.endObject()
	case 1:
		m.Reply = &message.Reply{Kind: "listReply", ID: "row_" + f.hex(6), Title: f.ProductName()}
		w.str("type", "list_reply")
		w.object("list_reply")
		w.str("id", m.Reply.ID)
		w.str("title", m.Reply.Title)
		if b.optional(0.7) {
			m.Reply.Description = f.Sentence(f.between(3, 9))
			w.str("description", m.Reply.Description)
		}
		w.endObject()
	default:
		answers, _ := json.Marshal(map[string]any{
			"flow_token": f.hex(16), "appointment_date": f.moment().Format("2006-01-02"), "party_size": f.between(1, 8),
			"notes": f.Sentence(f.between(2, 6)),
		})
		m.Reply = &message.Reply{Kind: "nfmReply", ID: "flow", Title: "Sent", Payload: string(answers)}
		w.str("type", "nfm_reply")
		w.object("nfm_reply")
		w.str("name", m.Reply.ID)
		w.str("body", m.Reply.Title)
		w.str("response_json", m.Reply.Payload)
		w.endObject()
	}
	w.endObject()
}

// writeMetaContext writes what the message refers to: the business's message it answers (always,
// for a button or interactive reply), a product it asks about, or that it was forwarded.
func writeMetaContext(b *builder, typ, business string) {
	f, w := b.f, &b.w
	c := &message.Context{}
	b.msg.Context = c
	w.object("context")
	forwarded := typ != "button" && typ != "interactive" && f.chance(0.5)
	if forwarded || b.full {
		c.Forwarded = true
		c.FrequentlyForwarded = f.chance(0.3) || b.full
		w.bool("forwarded", true)
		if c.FrequentlyForwarded {
			w.bool("frequently_forwarded", true)
		}
		if !b.full {
			w.endObject()
			return
		}
	}
	c.From, c.MessageID = business, f.wamid(business)
	w.str("from", c.From)
	w.str("id", c.MessageID)
	if (typ == "text" || b.full) && b.optional(0.25) {
		c.ReferredProduct = &message.Product{CatalogID: f.digits(15), ProductRetailerID: "SKU-" + f.hex(6)}
		w.object("referred_product")
		w.str("catalog_id", c.ReferredProduct.CatalogID)
		w.str("product_retailer_id", c.ReferredProduct.ProductRetailerID)
		w.endObject()
	}
	w.endObject()
}

// writeMetaReferral writes the click-to-WhatsApp ad the customer came from.
func writeMetaReferral(b *builder) {
	f, w := b.f, &b.w
	w.object("referral")
	w.str("source_url", "https://fb.me/"+f.LetterN(9))
	w.str("source_id", f.digits(17))
	w.str("source_type", "ad")
	w.str("headline", f.Sentence(f.between(2, 6)))
	w.str("body", f.Sentence(f.between(4, 12)))
	image := f.chance(0.7)
	if image {
		w.str("media_type", "image")
	} else {
		w.str("media_type", "video")
	}
	if image || b.full {
		w.str("image_url", "https://scontent.xx.fbcdn.net/v/"+f.hex(24)+".jpg")
	}
	if !image || b.full {
		w.str("video_url", "https://video.xx.fbcdn.net/v/"+f.hex(24)+".mp4")
		w.str("thumbnail_url", "https://scontent.xx.fbcdn.net/v/"+f.hex(24)+".jpg")
	}
	w.str("ctwa_clid", f.LetterN(40))
	w.endObject()
}

// writeMetaStatus writes the status update of a message the business sent, which arrives on the
// same URL as inbound messages: sent, delivered, read, or failed with its errors.
func writeMetaStatus(b *builder) {
	f := b.f
	at := f.moment().Truncate(time.Second)
	recipient := f.phone()
	b.payload.ID, b.payload.SentAt = f.wamid(recipient), at
	openMetaValue(b, f.phone())
	writeMetaStatuses(b, recipient, false)
	closeMetaValue(&b.w)
}

// writeMetaStatuses writes the statuses array of one update for a message sent to recipient; every
// writes a sent status with every part the status page documents.
func writeMetaStatuses(b *builder, recipient string, every bool) {
	f, w := b.f, &b.w
	at := f.moment().Truncate(time.Second)
	status := f.pick([]string{"sent", "delivered", "read", "failed"})
	if every {
		status = "sent"
	}
	w.array("statuses")
	w.beginObject()
	w.str("id", f.wamid(recipient))
	w.str("status", status)
	w.str("timestamp", strconv.FormatInt(at.Unix(), 10))
	w.str("recipient_id", recipient)
	if every {
		w.str("biz_opaque_callback_data", "order-"+f.hex(6))
		writeMetaErrors(w, []message.Error{{Code: "131047", Title: "Re-engagement message", Message: "Re-engagement message",
			Details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}, false, true)
	}
	switch status {
	case "failed":
		w.array("errors")
		w.beginObject()
		w.int("code", 131026)
		w.str("title", "Message undeliverable")
		w.str("message", "Message undeliverable")
		w.object("error_data")
		w.str("details", "Message Undeliverable.")
		w.endObject()
		w.endObject()
		w.endArray()
	case "sent", "delivered":
		category := f.pick([]string{"service", "utility", "marketing", "authentication"})
		w.object("conversation")
		w.str("id", f.hex(32))
		if status == "sent" {
			w.str("expiration_timestamp", strconv.FormatInt(at.Add(24*time.Hour).Unix(), 10))
		}
		w.object("origin")
		w.str("type", category)
		w.endObject()
		w.endObject()
		w.object("pricing")
		w.bool("billable", category != "service")
		w.str("pricing_model", "CBP")
		if every {
			w.str("type", "regular")
		}
		w.str("category", category)
		w.endObject()
	}
	w.endObject()
	w.endArray()
}

// batchMeta packs the messages of several Meta webhooks into one, as Meta may: each webhook's
// first entry becomes one entry of the batch, in order.
func batchMeta(bodies [][]byte) ([]byte, error) {
	var out bytes.Buffer
	out.WriteString(`{"object":"` + metaObject + `","entry":[`)
	for i, body := range bodies {
		var doc struct {
			Entry []json.RawMessage `json:"entry"`
		}
		if err := json.Unmarshal(body, &doc); err != nil || len(doc.Entry) == 0 {
			return nil, fmt.Errorf("batch webhook %d: not a Meta webhook with an entry", i)
		}
		for j, entry := range doc.Entry {
			if i+j > 0 {
				out.WriteByte(',')
			}
			out.Write(entry)
		}
	}
	out.WriteString(`]}`)
	return out.Bytes(), nil
}

// splitMeta is batchMeta's inverse for a decoded, valid webhook: one webhook per message (or status
// update), each with its entry's id, its change's metadata and its sender's profile, in the order
// sent. A webhook that holds one update or none is returned as it is.
func splitMeta(doc any) []any {
	root, _ := doc.(map[string]any)
	var out []any
	for _, e := range asList(root["entry"]) {
		entry, _ := e.(map[string]any)
		for _, c := range asList(entry["changes"]) {
			change, _ := c.(map[string]any)
			value, _ := change["value"].(map[string]any)
			for _, key := range []string{"messages", "statuses"} {
				for _, item := range asList(value[key]) {
					one := map[string]any{}
					for k, v := range value {
						if k != "messages" && k != "statuses" && k != "contacts" {
							one[k] = v
						}
					}
					one[key] = []any{item}
					if sender := senderProfile(value, item); sender != nil {
						one["contacts"] = []any{sender}
					}
					out = append(out, map[string]any{"object": root["object"], "entry": []any{map[string]any{
						"id": entry["id"], "changes": []any{map[string]any{"field": change["field"], "value": one}},
					}}})
				}
			}
		}
	}
	if len(out) <= 1 {
		return []any{doc}
	}
	return out
}

// senderProfile returns the profile among value's contacts of the customer who sent item.
func senderProfile(value map[string]any, item any) any {
	sent, _ := item.(map[string]any) // an update that is no object has no sender
	from, _ := sent["from"].(string)
	contacts := asList(value["contacts"])
	for _, c := range contacts {
		if card, _ := c.(map[string]any); card["wa_id"] == from {
			return c
		}
	}
	if len(contacts) == 1 {
		return contacts[0]
	}
	return nil
}

// first is a list's first object, or nil for an empty list.
func first(l []map[string]any) map[string]any {
	if len(l) == 0 {
		return nil
	}
	return l[0]
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// parseMeta reads the first message of a Meta webhook into the model: its id (a wamid) as MessageID
// and WAMID, the sender's profile name from contacts, the business's display number as Business.
// A reply's Kind says which it is: "buttonReply", "listReply", or "nfmReply" for a Flow's response
// (ID its name, Title its body, Payload its response_json).
func parseMeta(doc map[string]any) (message.Message, error) {
	value := obj(first(arr(first(arr(doc, "entry")), "changes")), "value")
	msg := first(arr(value, "messages"))
	sent, err := metaSeconds(msg["timestamp"])
	if err != nil {
		return message.Message{}, fmt.Errorf("timestamp: %w", err)
	}
	typ := str(msg, "type")
	m := message.Message{
		MessageID: str(msg, "id"), WAMID: str(msg, "id"),
		From:     message.Sender{Phone: str(msg, "from")},
		Business: str(obj(value, "metadata"), "display_phone_number"), SentAt: sent.UTC(),
		Type: typ, Kind: neutralKind(typ, "unsupported", "unknown"),
	}
	if sender, ok := senderProfile(value, map[string]any(msg)).(map[string]any); ok {
		m.From.Name = str(obj(sender, "profile"), "name")
	}
	switch typ {
	case "text":
		m.Text = &message.Text{Body: str(obj(msg, "text"), "body")}
	case "image", "audio", "video", "sticker", "document":
		o := obj(msg, typ)
		m.Media = &message.Media{ID: str(o, "id"), Link: str(o, "url"), MIMEType: str(o, "mime_type"), SHA256: str(o, "sha256"),
			Caption: str(o, "caption"), Filename: str(o, "filename")}
		if a, ok := o["animated"].(bool); ok {
			m.Media.Animated = &a
		}
	case "location":
		o := obj(msg, "location")
		m.Location = &message.Location{Latitude: number(o["latitude"]), Longitude: number(o["longitude"]),
			Name: str(o, "name"), Address: str(o, "address")}
	case "contacts":
		m.Contacts = contactCards(arr(msg, "contacts"), cardKeys{countryCode: "country_code", formattedName: "formatted_name",
			firstName: "first_name", middleName: "middle_name", lastName: "last_name", waID: "wa_id"})
	case "interactive":
		i := obj(msg, "interactive")
		switch kind := str(i, "type"); kind {
		case "nfm_reply":
			r := obj(i, kind)
			m.Reply = &message.Reply{Kind: "nfmReply", ID: str(r, "name"), Title: str(r, "body"), Payload: str(r, "response_json")}
		default:
			r := obj(i, kind)
			m.Reply = &message.Reply{Kind: camelKind(kind), ID: str(r, "id"), Title: str(r, "title"), Description: str(r, "description")}
		}
	case "button":
		b := obj(msg, "button")
		m.Reply = &message.Reply{Kind: "button", Title: str(b, "text"), Payload: str(b, "payload")}
	case "reaction":
		r := obj(msg, "reaction")
		m.Reaction = &message.Reaction{MessageID: str(r, "message_id"), Emoji: str(r, "emoji")}
	case "order":
		m.Order = raw(msg["order"])
	case "system":
		m.System = raw(msg["system"])
	case "unsupported", "unknown":
		for _, e := range arr(msg, "errors") {
			details := str(obj(e, "error_data"), "details")
			if details == "" {
				details = str(e, "details")
			}
			m.Errors = append(m.Errors, message.Error{Code: text(e["code"]), Title: str(e, "title"), Message: str(e, "message"), Details: details})
		}
	}
	if c := obj(msg, "context"); c != nil {
		m.Context = &message.Context{MessageID: str(c, "id"), From: str(c, "from"), Forwarded: flag(c["forwarded"]) || flag(c["frequently_forwarded"]),
			FrequentlyForwarded: flag(c["frequently_forwarded"])}
		if p := obj(c, "referred_product"); p != nil {
			m.Context.ReferredProduct = &message.Product{CatalogID: str(p, "catalog_id"), ProductRetailerID: str(p, "product_retailer_id")}
		}
	}
	return m, nil
}

// camelKind turns Meta's button_reply into the model's buttonReply.
func camelKind(kind string) string {
	head, tail, ok := strings.Cut(kind, "_")
	if !ok || tail == "" {
		return kind
	}
	return head + strings.ToUpper(tail[:1]) + tail[1:]
}

// carryMeta leaves what a Meta message has a place for: no envelope id, errors without a message, a
// send time in whole seconds, a caption on images, videos and documents only, a filename on documents, an animated flag
// on stickers, where to download media as its URL.
func carryMeta(m *message.Message) {
	m.EventID = ""
	for i := range m.Errors {
		m.Errors[i].Message = "" // the unknown type's errors, which renderMeta writes, have none
	}
	m.SentAt = m.SentAt.Truncate(time.Second)
	if md := m.Media; md != nil {
		if m.Kind != "image" && m.Kind != "video" && m.Kind != "document" {
			md.Caption = ""
		}
		if m.Kind != "document" {
			md.Filename = ""
		}
		if m.Kind != "sticker" {
			md.Animated = nil
		}
	}
}

// renderMeta writes m, fitted by carryMeta, as a Meta webhook with a message id of its own.
func renderMeta(b *builder, m *message.Message) error {
	f, w := b.f, &b.w
	drawn := m.Type
	m.Type = m.Kind
	if m.Kind == "error" {
		m.Type = "unknown" // the one of Meta's two error types that needs nothing but its errors
		if drawn == "unsupported" {
			m.Type = drawn
		}
	}
	m.MessageID = f.wamid(m.From.Phone)
	m.WAMID = m.MessageID
	openMetaValue(b, m.Business)
	writeMetaContacts(w, m.From, nil)
	w.array("messages")
	w.beginObject()
	if c := m.Context; c != nil {
		w.object("context")
		if c.Forwarded {
			w.bool("forwarded", true)
			if c.FrequentlyForwarded {
				w.bool("frequently_forwarded", true)
			}
		}
		if c.From != "" {
			w.str("from", c.From)
		}
		if c.MessageID != "" {
			w.str("id", c.MessageID)
		}
		if p := c.ReferredProduct; p != nil {
			w.object("referred_product")
			w.str("catalog_id", p.CatalogID)
			w.str("product_retailer_id", p.ProductRetailerID)
			w.endObject()
		}
		w.endObject()
	}
	w.str("from", m.From.Phone)
	w.str("id", m.MessageID)
	w.str("timestamp", strconv.FormatInt(m.SentAt.Unix(), 10))
	w.str("type", m.Type)
	switch {
	case m.Text != nil:
		w.object("text")
		w.str("body", m.Text.Body)
		w.endObject()
	case m.Media != nil:
		if m.Media.Link == "" {
			m.Media.Link = m.Media.FilePath // where to fetch it, as Meta says it
		}
		m.Media.FilePath = ""
		if m.Media.ID == "" {
			m.Media.ID = f.digits(16)
		}
		writeMetaMedia(w, m.Type, m.Media)
	case m.Location != nil:
		w.object("location")
		w.float("latitude", m.Location.Latitude, -1)
		w.float("longitude", m.Location.Longitude, -1)
		if m.Location.Name != "" {
			w.str("name", m.Location.Name)
		}
		if m.Location.Address != "" {
			w.str("address", m.Location.Address)
		}
		w.endObject()
	case m.Contacts != nil:
		renderContactCards(w, metaContactKeys, m.Contacts)
	case m.Errors != nil:
		for i := range m.Errors {
			if _, err := strconv.ParseInt(m.Errors[i].Code, 10, 32); err != nil {
				m.Errors[i].Code = "131051"
			}
		}
		writeMetaErrors(w, m.Errors, m.Type == "unknown", false)
		if m.Type == "unsupported" {
			w.object("unsupported")
			w.str("type", "unknown")
			w.endObject()
		}
	default:
		return fmt.Errorf("render %s: %w", m.Kind, ErrNotApplicable)
	}
	w.endObject()
	w.endArray()
	closeMetaValue(w)
	return nil
}

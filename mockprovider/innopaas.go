package mockprovider

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/media"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/schemas"
)

// InnoPaaS: envelope {id, type, eventTime, body}; the message under body in the field order of the
// document's examples; camelCase throughout (listReply, mimeType), contacts' phones[].wa_id excepted.
func init() {
	register(&Provider{
		Name:              schemas.InnoPaaS,
		Event:             innoPaaSEvent,
		MessagePointer:    "/body",
		IDPointer:         "/body/id",
		EnvelopeIDPointer: "/id",
		SentAtPointer:     "/body/sendTime",
		SenderPointer:     "/body/from",
		IdentityPointers:  []string{"/id", "/eventTime", "/body/id", "/body/wamid", "/body/sendTime"},
		// Not the wamids, though they carry the sender's number in base64: receivers key on them.
		Personal: []string{
			"/body/from", "/body/to", "/body/customerProfile/name", "/body/context/from", "/body/text/body",
			"/body/*/caption", "/body/*/link", "/body/*/filename", "/body/location/name", "/body/location/address",
			"/body/system/body", "/body/system/newWaId", "/body/order/text",
			"/body/contact/*/addresses/*/street", "/body/contact/*/addresses/*/city", "/body/contact/*/addresses/*/state",
			"/body/contact/*/addresses/*/zip", "/body/contact/*/addresses/*/country", "/body/contact/*/addresses/*/countryCode",
			"/body/contact/*/birthday", "/body/contact/*/emails/*/email", "/body/contact/*/name/*", "/body/contact/*/org/*",
			"/body/contact/*/phones/*/phone", "/body/contact/*/phones/*/wa_id", "/body/contact/*/urls/*/url",
			"/body/contacts/*/addresses/*/street", "/body/contacts/*/addresses/*/city", "/body/contacts/*/addresses/*/state",
			"/body/contacts/*/addresses/*/zip", "/body/contacts/*/addresses/*/country", "/body/contacts/*/addresses/*/countryCode",
			"/body/contacts/*/birthday", "/body/contacts/*/emails/*/email", "/body/contacts/*/name/*", "/body/contacts/*/org/*",
			"/body/contacts/*/phones/*/phone", "/body/contacts/*/phones/*/wa_id", "/body/contacts/*/urls/*/url",
		},
		otherEvents: []otherEvent{
			{Type: "whatsapp_message_status_updated", write: writeInnoPaaSStatus},
			{Type: "whatsapp_template_status_updated", write: writeInnoPaaSTemplateStatus},
		},
		quirks: []quirk{
			{ID: "innopaas/location-coordinates-as-numbers", Example: "latitude/longitude as JSON numbers", Table: "as strings",
				Types: []string{"location"}, form: formByType("number", "/body/location/latitude")},
			{ID: "innopaas/contacts-key-contact", Example: `cards under "contact"`, Table: `under "contacts"`,
				Types: []string{"contacts"}, form: formByKey("/body/contact", "/body/contacts")},
			{ID: "innopaas/errors-code-number", Example: "errors[].code a number", Table: "a string",
				Types: []string{"unknown"}, form: formByType("number", "/body/errors/0/code")},
		},
		// The table names the contacts array "contacts", the example "contact": both arrive.
		TypeObjectKeys: map[string][]string{"contacts": {"contacts", "contact"}},
		// The document gives no retry schedule; ITNIO's (1, 3, 5 minutes) is the default, configurable.
		RetrySchedule: []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute},
		// Both headers are the customer's to configure, and sent verbatim.
		Auth:   headerAuth{UserHeader: "UserName", TokenHeader: "Authorization"},
		sentAt: isoTime,
		write:  writeInnoPaaS,
		parse:  parseInnoPaaS,
		carry:  carryInnoPaaS,
		render: renderInnoPaaS,
		mutations: []Mutation{
			{ID: "invalid-date-time", Description: "sendTime in a local format (22/02/2023 12:00) instead of ISO-8601 UTC", Expect: Reject, Schema: SchemaInvalid,
				apply: func(m *mutating) error { return jsonpointer.Set(m.doc, "/body/sendTime", "22/02/2023 12:00") }},
			{ID: "numeric-string-coordinates", Description: "coordinates as high-precision decimal strings, the table's form", Expect: Tolerate, Schema: SchemaValid,
				types: []string{"location"},
				apply: func(m *mutating) error {
					return firstError(
						jsonpointer.Set(m.doc, "/body/location/latitude", "-33.868819987654321"),
						jsonpointer.Set(m.doc, "/body/location/longitude", "151.209295999999999"))
				},
				meaning: func(m *message.Message) bool {
					m.Location.Latitude, m.Location.Longitude = -33.868819987654321, 151.209295999999999
					return true
				}},
		},
	})
}

// innoPaaSEvent is the envelope type of an inbound message.
const innoPaaSEvent = "whatsapp_mo_message_received"

// innoPaaSNeedsContext reports whether messages of type typ always quote an earlier message: the
// replies to the business's buttons and lists.
func innoPaaSNeedsContext(typ string) bool { return typ == "button" || typ == "interactive" }

// innoPaaSContextChance is how often a message of each type quotes an earlier message (a swiped
// reply). The schema allows a context on every type; those missing here (a reaction, an order, a
// system notice) carry one in full payloads only.
var innoPaaSContextChance = map[string]float64{
	"text": 0.15, "image": 0.05, "video": 0.05, "audio": 0.05, "document": 0.05, "sticker": 0.05,
	"location": 0.05, "contacts": 0.05,
}

func writeInnoPaaS(b *builder, typ string) error {
	f, w, m := b.f, &b.w, b.msg
	sent := f.moment()
	from, to := f.phone(), f.phone()
	b.payload.ID = f.hex(24)
	b.payload.SentAt = sent
	m.EventID = writeInnoPaaSEnvelope(b, innoPaaSEvent, sent)
	m.MessageID, m.Business, m.SentAt = b.payload.ID, to, sent.UTC()
	if typ == "unknown" {
		m.Kind = "error"
	}
	w.str("id", b.payload.ID)
	w.str("accountName", "IW"+f.digits(6))
	w.str("wabaId", f.digits(15))
	m.WAMID = f.wamid(from)
	w.str("wamid", m.WAMID)
	w.str("from", from)
	m.From = message.Sender{Phone: from, Name: f.personName()}
	w.object("customerProfile")
	w.str("name", m.From.Name)
	w.endObject()
	w.str("to", to)
	w.str("sendTime", isoMillis(sent))
	w.str("type", typ)
	if err := writeInnoPaaSMessage(b, typ, to); err != nil {
		return err
	}
	if innoPaaSNeedsContext(typ) || b.optional(innoPaaSContextChance[typ]) {
		writeInnoPaaSContext(b, to)
	}
	w.endObject()
	w.endObject()
	return nil
}

// writeInnoPaaSEnvelope opens the envelope and its body, the shape every InnoPaaS event shares, and
// returns the envelope's id.
func writeInnoPaaSEnvelope(b *builder, event string, at time.Time) (id string) {
	f, w := b.f, &b.w
	id = f.uuid()
	w.beginObject()
	w.str("id", id)
	w.str("type", event)
	w.str("eventTime", isoMillis(at.Add(time.Duration(f.between(150, 2500))*time.Millisecond)))
	w.object("body")
	return id
}

// writeInnoPaaSStatus writes a delivery status update, which arrives on the same URL as messages.
func writeInnoPaaSStatus(b *builder) {
	f, w := b.f, &b.w
	at := f.moment()
	b.payload.SentAt = at
	writeInnoPaaSEnvelope(b, "whatsapp_message_status_updated", at)
	b.payload.ID = f.hex(24)
	w.str("id", b.payload.ID)
	w.str("accountName", "IW"+f.digits(6))
	w.str("wabaId", f.digits(15))
	w.str("wamid", f.wamid(f.phone()))
	w.str("status", f.pick([]string{"sent", "delivered", "read", "failed"}))
	w.str("timestamp", isoMillis(at))
	w.endObject()
	w.endObject()
}

// writeInnoPaaSTemplateStatus writes a template review result, which shares the URL too.
func writeInnoPaaSTemplateStatus(b *builder) {
	f, w := b.f, &b.w
	at := f.moment()
	b.payload.SentAt = at
	writeInnoPaaSEnvelope(b, "whatsapp_template_status_updated", at)
	b.payload.ID = f.digits(16)
	w.str("templateId", b.payload.ID)
	w.str("templateName", "order_update_"+f.hex(4))
	w.str("language", f.pick([]string{"en_US", "zh_CN", "pt_BR", "ar"}))
	w.str("status", f.pick([]string{"APPROVED", "REJECTED", "PAUSED"}))
	w.endObject()
	w.endObject()
}

func writeInnoPaaSMessage(b *builder, typ, business string) error {
	f, w, m := b.f, &b.w, b.msg
	switch typ {
	case "text":
		m.Text = &message.Text{Body: f.textBody()}
		w.object("text")
		w.str("body", m.Text.Body)
		w.endObject()
	case "reaction":
		m.Reaction = &message.Reaction{MessageID: f.wamid(business), Emoji: f.emoji()}
		w.object("reaction")
		w.str("messageId", m.Reaction.MessageID)
		w.str("emoji", m.Reaction.Emoji)
		w.endObject()
	case "image", "sticker", "video", "audio", "document":
		ref, err := b.attach(media.Kind(typ))
		if err != nil {
			return err
		}
		m.Media = &message.Media{Link: ref.URL, MIMEType: ref.MIMEType, SHA256: ref.SHA256}
		w.object(typ)
		if typ == "image" || typ == "document" {
			m.Media.Caption = caption(f)
			w.str("caption", m.Media.Caption)
		}
		if typ == "document" {
			m.Media.Filename = ref.Filename
			w.str("filename", ref.Filename)
		}
		w.str("mimeType", ref.MIMEType)
		w.str("sha256", ref.SHA256)
		w.str("link", ref.URL)
		w.endObject()
	case "location":
		lat, lon := f.coordinates()
		w.object("location")
		if b.exampleForm() {
			w.float("latitude", lat, 5)
			w.float("longitude", lon, 5)
			m.Location = &message.Location{Latitude: parsedFloat(lat, 5), Longitude: parsedFloat(lon, 5)}
		} else {
			w.str("latitude", strconv.FormatFloat(lat, 'f', 6, 64))
			w.str("longitude", strconv.FormatFloat(lon, 'f', 6, 64))
			m.Location = &message.Location{Latitude: parsedFloat(lat, 6), Longitude: parsedFloat(lon, 6)}
		}
		m.Location.Name, m.Location.Address = f.Company(), f.Street()+", "+f.City()+", "+f.Country()
		w.str("name", m.Location.Name)
		w.str("address", m.Location.Address)
		w.endObject()
	case "contacts":
		key := "contacts"
		if b.exampleForm() {
			key = "contact"
		}
		w.array(key)
		for range f.between(1, 3) {
			m.Contacts = append(m.Contacts, writeContactCard(b, innoPaaSContactKeys))
		}
		w.endArray()
	case "button":
		text := f.pick([]string{"Yes", "No", "Talk to an agent", "Track my order", "Unsubscribe", "是", "否"})
		m.Reply = &message.Reply{Kind: "button", Title: text, Payload: strings.ReplaceAll(text, " ", "-") + "-Button-Payload"}
		w.object("button")
		w.str("text", text)
		w.str("payload", m.Reply.Payload)
		w.endObject()
	case "interactive":
		w.object("interactive")
		if f.chance(0.5) {
			m.Reply = &message.Reply{Kind: "listReply", ID: "list_reply_" + f.hex(6), Title: f.ProductName()}
			w.object("listReply")
			w.str("id", m.Reply.ID)
			w.str("title", m.Reply.Title)
			if b.optional(0.7) {
				m.Reply.Description = f.Sentence(f.between(3, 9))
				w.str("description", m.Reply.Description)
			}
			w.endObject()
			w.str("type", "listReply")
		} else {
			m.Reply = &message.Reply{Kind: "buttonReply", ID: "btn_" + f.hex(8), Title: f.pick([]string{"Confirm", "Cancel", "Reschedule", "确认", "تأكيد"})}
			w.object("buttonReply")
			w.str("id", m.Reply.ID)
			w.str("title", m.Reply.Title)
			w.endObject()
			w.str("type", "buttonReply")
		}
		w.endObject()
	case "unknown":
		m.Errors = []message.Error{{Code: "131051", Details: "Message type is not currently supported", Title: "Unsupported message type"}}
		w.array("errors")
		w.beginObject()
		if b.exampleForm() {
			w.int("code", 131051)
		} else {
			w.str("code", "131051")
		}
		w.str("details", m.Errors[0].Details)
		w.str("title", m.Errors[0].Title)
		w.endObject()
		w.endArray()
	case "order":
		w.object("order")
		start := len(w.buf) - 1
		w.str("catalogId", f.digits(15))
		w.str("text", f.Sentence(f.between(2, 8)))
		writeOrderItems(b, orderKeys{items: "productItems", retailerID: "productRetailerId", price: "itemPrice",
			currencies: []string{"USD", "CNY", "INR", "IDR", "BRL", "EUR"}})
		w.endObject()
		m.Order = w.since(start)
	case "system":
		newNumber := f.phone()
		w.object("system")
		start := len(w.buf) - 1
		w.str("body", "User changed their phone number to "+newNumber)
		w.str("newWaId", newNumber)
		w.str("type", "customer_changed_number")
		w.endObject()
		m.System = w.since(start)
	default:
		return fmt.Errorf("%w %q", ErrUnknownType, typ)
	}
	return nil
}

// orderKeys spells an order's items in one provider's words, with the currencies its customers pay in.
type orderKeys struct {
	items, retailerID, price string
	currencies               []string
}

// writeOrderItems writes an order's one to four items, as k spells them.
func writeOrderItems(b *builder, k orderKeys) {
	f, w := b.f, &b.w
	w.array(k.items)
	for range f.between(1, 4) {
		w.beginObject()
		w.str(k.retailerID, "SKU-"+strings.ToUpper(f.hex(6)))
		w.int("quantity", int64(f.between(1, 5)))
		w.float(k.price, f.Price(1, 500), 2)
		w.str("currency", f.pick(k.currencies))
		w.endObject()
	}
	w.endArray()
}

// writeInnoPaaSContext writes the quoted message: an earlier message the business sent.
func writeInnoPaaSContext(b *builder, business string) {
	b.msg.Context = &message.Context{From: business, MessageID: b.f.wamid(business)}
	b.w.object("context")
	b.w.str("from", business)
	b.w.str("id", b.msg.Context.MessageID)
	b.w.endObject()
}

func caption(f *faker) string {
	if f.chance(0.25) {
		return ""
	}
	return f.Sentence(f.between(1, 8))
}

// contactKeys names a contact card's fields in one provider's spelling.
type contactKeys struct {
	countryCode, firstName, formattedName, lastName, middleName string
	waID                                                        string // "" when the provider's cards have none
}

var innoPaaSContactKeys = contactKeys{
	countryCode: "countryCode", firstName: "firstName", formattedName: "formattedName",
	lastName: "lastName", middleName: "middleName", waID: "wa_id",
}

// writeContactCard writes one shared contact with several addresses, emails, phones and urls, and
// returns it in the model.
func writeContactCard(b *builder, k contactKeys) message.Contact {
	c := drawContactCard(b, k.waID != "")
	renderContactCard(&b.w, k, c)
	return c
}

// drawContactCard draws a contact card's values; withWAID gives each phone its WhatsApp id.
func drawContactCard(b *builder, withWAID bool) message.Contact {
	f := b.f
	var c message.Contact
	for _, kind := range []string{"HOME", "WORK"}[:f.between(1, 2)] {
		c.Addresses = append(c.Addresses, message.Address{City: f.City(), Country: f.Country(), CountryCode: f.CountryAbr(),
			State: f.State(), Street: f.Street(), Type: kind, Zip: f.Zip()})
	}
	c.Birthday = f.birthday()
	for _, kind := range []string{"WORK", "HOME", "HOME"}[:f.between(1, 3)] {
		c.Emails = append(c.Emails, message.Email{Email: f.Email(), Type: kind})
	}
	first, last, middle := f.FirstName(), f.LastName(), f.FirstName()
	c.Name = message.Name{First: first, Formatted: first + " " + middle + " " + last, Last: last, Middle: middle,
		Prefix: f.pick([]string{"Mr.", "Ms.", "Dr.", "Mx."}), Suffix: f.pick([]string{"Jr.", "Sr.", "PhD", "III"})}
	c.Org = &message.Org{Company: f.Company(), Department: f.pick([]string{"Sales", "Support", "Engineering", "Logistics"}), Title: f.JobTitle()}
	for _, kind := range []string{"CELL", "WORK", "HOME", "IPHONE"}[:f.between(1, 4)] {
		p := message.Phone{Phone: f.phone(), Type: kind}
		if withWAID {
			p.WAID = p.Phone
		}
		c.Phones = append(c.Phones, p)
	}
	for _, kind := range []string{"WORK", "HOME"}[:b.atLeastOne(f.between(0, 2))] {
		c.URLs = append(c.URLs, message.URL{Type: kind, URL: f.URL()})
	}
	return c
}

// renderContactCards writes cards as the "contacts" array, spelled as k says.
func renderContactCards(w *jsonWriter, k contactKeys, cards []message.Contact) {
	w.array("contacts")
	for _, c := range cards {
		renderContactCard(w, k, c)
	}
	w.endArray()
}

// renderContactCard writes card c spelled as k says, in the documents' field order.
func renderContactCard(w *jsonWriter, k contactKeys, c message.Contact) {
	w.beginObject()
	w.array("addresses")
	for _, a := range c.Addresses {
		w.beginObject()
		w.str("city", a.City)
		w.str("country", a.Country)
		w.str(k.countryCode, a.CountryCode)
		w.str("state", a.State)
		w.str("street", a.Street)
		w.str("type", a.Type)
		w.str("zip", a.Zip)
		w.endObject()
	}
	w.endArray()
	w.str("birthday", c.Birthday)
	w.array("emails")
	for _, e := range c.Emails {
		w.beginObject()
		w.str("email", e.Email)
		w.str("type", e.Type)
		w.endObject()
	}
	w.endArray()
	w.object("name")
	w.str(k.firstName, c.Name.First)
	w.str(k.formattedName, c.Name.Formatted)
	w.str(k.lastName, c.Name.Last)
	w.str(k.middleName, c.Name.Middle)
	w.str("prefix", c.Name.Prefix)
	w.str("suffix", c.Name.Suffix)
	w.endObject()
	if c.Org != nil {
		w.object("org")
		w.str("company", c.Org.Company)
		w.str("department", c.Org.Department)
		w.str("title", c.Org.Title)
		w.endObject()
	}
	w.array("phones")
	for _, p := range c.Phones {
		w.beginObject()
		w.str("phone", p.Phone)
		w.str("type", p.Type)
		if k.waID != "" && p.WAID != "" {
			w.str(k.waID, p.WAID)
		}
		w.endObject()
	}
	w.endArray()
	w.array("urls")
	for _, u := range c.URLs {
		w.beginObject()
		w.str("type", u.Type)
		w.str("url", u.URL)
		w.endObject()
	}
	w.endArray()
	w.endObject()
}

// carryInnoPaaS leaves what an InnoPaaS message has a place for: a caption on images and documents
// only, a filename on documents, no animated flag, a quoted message's id and sender only, errors
// without a message.
func carryInnoPaaS(m *message.Message) {
	if md := m.Media; md != nil {
		if m.Kind != "image" && m.Kind != "document" {
			md.Caption = ""
		}
		if m.Kind != "document" {
			md.Filename = ""
		}
		md.Animated = nil
	}
	if c := m.Context; c != nil {
		m.Context = &message.Context{MessageID: c.MessageID, From: c.From}
	}
	for i := range m.Errors {
		m.Errors[i].Message = ""
	}
}

// renderInnoPaaS writes m, fitted by carryInnoPaaS, as an InnoPaaS webhook, with an envelope id,
// message id and wamid of its own.
func renderInnoPaaS(b *builder, m *message.Message) error {
	f, w := b.f, &b.w
	m.Type = m.Kind
	if m.Kind == "error" {
		m.Type = "unknown"
	}
	m.MessageID = f.hex(24)
	m.EventID = writeInnoPaaSEnvelope(b, innoPaaSEvent, m.SentAt)
	m.WAMID = f.wamid(m.From.Phone)
	w.str("id", m.MessageID)
	w.str("accountName", "IW"+f.digits(6))
	w.str("wabaId", f.digits(15))
	w.str("wamid", m.WAMID)
	w.str("from", m.From.Phone)
	w.object("customerProfile")
	if m.From.Name != "" {
		w.str("name", m.From.Name)
	}
	w.endObject()
	w.str("to", m.Business)
	w.str("sendTime", isoMillis(m.SentAt))
	w.str("type", m.Type)
	switch {
	case m.Text != nil:
		w.object("text")
		w.str("body", m.Text.Body)
		w.endObject()
	case m.Media != nil:
		if m.Media.Link == "" {
			m.Media.Link = m.Media.FilePath // where to fetch it, as InnoPaaS says it
		}
		m.Media.FilePath, m.Media.ID = "", ""
		w.object(m.Type)
		if m.Kind == "image" || m.Kind == "document" {
			w.str("caption", m.Media.Caption)
		}
		if m.Kind == "document" {
			w.str("filename", m.Media.Filename)
		}
		w.str("mimeType", m.Media.MIMEType)
		w.str("sha256", m.Media.SHA256)
		w.str("link", m.Media.Link)
		w.endObject()
	case m.Location != nil:
		w.object("location")
		w.float("latitude", m.Location.Latitude, -1)
		w.float("longitude", m.Location.Longitude, -1)
		w.str("name", m.Location.Name)
		w.str("address", m.Location.Address)
		w.endObject()
	case m.Contacts != nil:
		renderContactCards(w, innoPaaSContactKeys, m.Contacts)
	case m.Errors != nil:
		w.array("errors")
		for _, e := range m.Errors {
			w.beginObject()
			w.str("code", e.Code)
			w.str("details", e.Details)
			w.str("title", e.Title)
			w.endObject()
		}
		w.endArray()
	default:
		return fmt.Errorf("render %s: %w", m.Kind, ErrNotApplicable)
	}
	if c := m.Context; c != nil {
		w.object("context")
		w.str("from", c.From)
		w.str("id", c.MessageID)
		w.endObject()
	}
	w.endObject()
	w.endObject()
	return nil
}

// parseInnoPaaS reads an InnoPaaS inbound message into the model: envelope id as EventID, body.id as
// MessageID, wamid as WAMID, customerProfile.name as the sender's name, to as the business number.
// Cards come under "contacts" or, as the example sends them, "contact"; coordinates and error codes
// as numbers or strings.
func parseInnoPaaS(doc map[string]any) (message.Message, error) {
	body := obj(doc, "body")
	sent, err := isoTime(body["sendTime"])
	if err != nil {
		return message.Message{}, fmt.Errorf("/body/sendTime: %w", err)
	}
	typ := str(body, "type")
	m := message.Message{
		EventID: str(doc, "id"), MessageID: str(body, "id"), WAMID: str(body, "wamid"),
		From:     message.Sender{Phone: str(body, "from"), Name: str(obj(body, "customerProfile"), "name")},
		Business: str(body, "to"), SentAt: sent.UTC(), Type: typ, Kind: neutralKind(typ, "unknown"),
	}
	switch typ {
	case "text":
		m.Text = &message.Text{Body: str(obj(body, "text"), "body")}
	case "reaction":
		r := obj(body, "reaction")
		m.Reaction = &message.Reaction{MessageID: str(r, "messageId"), Emoji: str(r, "emoji")}
	case "image", "audio", "video", "sticker", "document":
		o := obj(body, typ)
		m.Media = &message.Media{Link: str(o, "link"), MIMEType: str(o, "mimeType"), SHA256: str(o, "sha256"),
			Caption: str(o, "caption"), Filename: str(o, "filename")}
	case "location":
		o := obj(body, "location")
		m.Location = &message.Location{Latitude: number(o["latitude"]), Longitude: number(o["longitude"]),
			Name: str(o, "name"), Address: str(o, "address")}
	case "contacts":
		cards := arr(body, "contacts")
		if _, ok := body["contacts"]; !ok {
			cards = arr(body, "contact")
		}
		m.Contacts = contactCards(cards, cardKeys{countryCode: "countryCode", formattedName: "formattedName",
			firstName: "firstName", middleName: "middleName", lastName: "lastName", waID: "wa_id"})
	case "button":
		b := obj(body, "button")
		m.Reply = &message.Reply{Kind: "button", Title: str(b, "text"), Payload: str(b, "payload")}
	case "interactive":
		i := obj(body, "interactive")
		kind := str(i, "type")
		r := obj(i, kind)
		m.Reply = &message.Reply{Kind: kind, ID: str(r, "id"), Title: str(r, "title"), Description: str(r, "description")}
	case "unknown":
		for _, e := range arr(body, "errors") {
			m.Errors = append(m.Errors, message.Error{Code: text(e["code"]), Title: str(e, "title"), Details: str(e, "details")})
		}
	case "order":
		m.Order = raw(body["order"])
	case "system":
		m.System = raw(body["system"])
	}
	if c := obj(body, "context"); c != nil {
		m.Context = &message.Context{MessageID: str(c, "id"), From: str(c, "from")}
	}
	return m, nil
}

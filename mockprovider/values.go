package mockprovider

import (
	"encoding/base64"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v6"
	"github.com/brianvoe/gofakeit/v6/data"
)

// maxTextLength is WhatsApp's limit on a text message body, in characters.
const maxTextLength = 4096

// wordPools are the word and name pools, read once from gofakeit's data: picking from a slice is
// several times cheaper than gofakeit's own lookups, and sentences are most of a text message.
type wordPools struct {
	words, first, last                          []string
	cities, states, countries, countryCodes     []string
	streetNames, streetSuffixes, domainSuffixes []string
	companies, jobTitles                        []string
}

// pools returns the pools, by pointer: a payload picks from them dozens of times.
var pools = sync.OnceValue(func() *wordPools {
	p := &wordPools{}
	for _, key := range data.WordKeys {
		for _, w := range data.Data["word"][key] {
			p.words = append(p.words, strings.Fields(w)...)
		}
	}
	p.first, p.last = data.Person["first"], data.Person["last"]
	p.cities, p.states = data.Address["city"], data.Address["state"]
	p.countries, p.countryCodes = data.Address["country"], data.Address["country_abr"]
	p.streetNames, p.streetSuffixes = data.Address["street_name"], data.Address["street_suffix"]
	p.domainSuffixes = data.Internet["domain_suffix"]
	p.companies, p.jobTitles = data.Company["name"], data.Job["title"]
	return p
})

// faker draws every value of one payload from that payload's seed.
type faker struct {
	*gofakeit.Faker
	src *splitmix
}

func newFaker() *faker {
	src := &splitmix{}
	return &faker{Faker: gofakeit.NewCustom(src), src: src}
}

func (f *faker) reseed(seed uint64) { f.src.state = seed }

func (f *faker) intn(n int) int { return int(f.src.Uint64() % uint64(n)) }

// between returns an int in [lo, hi].
func (f *faker) between(lo, hi int) int { return lo + f.intn(hi-lo+1) }

func (f *faker) chance(p float64) bool { return float64(f.src.Uint64()>>11)/(1<<53) < p }

func (f *faker) pick(list []string) string { return list[f.intn(len(list))] }

// FirstName and LastName shadow gofakeit's, drawing from the same data.
func (f *faker) FirstName() string { return f.pick(pools().first) }
func (f *faker) LastName() string  { return f.pick(pools().last) }

// The address, company and contact values shadow gofakeit's from the same data: a contact card draws
// about thirty of them, and gofakeit's lookups made contacts the dearest type to generate.
func (f *faker) City() string       { return f.pick(pools().cities) }
func (f *faker) State() string      { return f.pick(pools().states) }
func (f *faker) Country() string    { return f.pick(pools().countries) }
func (f *faker) CountryAbr() string { return f.pick(pools().countryCodes) }
func (f *faker) Company() string    { return f.pick(pools().companies) }
func (f *faker) JobTitle() string   { return f.pick(pools().jobTitles) }
func (f *faker) Zip() string        { return f.digits(5) }

func (f *faker) Street() string {
	p := pools()
	return f.digits(f.between(3, 5)) + " " + f.pick(p.streetNames) + f.pick(p.streetSuffixes)
}

func (f *faker) Email() string {
	p := pools()
	return strings.ToLower(f.pick(p.first) + "." + f.pick(p.last) + "@" + f.pick(p.last) + "." + f.pick(p.domainSuffixes))
}

func (f *faker) URL() string {
	p := pools()
	return "https://www." + strings.ToLower(f.pick(p.last)) + "." + f.pick(p.domainSuffixes) + "/" + f.pick(p.words)
}

// birthday returns a date of birth between 1950 and 2007.
func (f *faker) birthday() string {
	return time.Date(1950+f.intn(58), time.Month(1+f.intn(12)), 1+f.intn(28), 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

// letters is LetterN's alphabet, capitals first.
const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// LetterN shadows gofakeit's, drawing the same letters (one Intn of the alphabet each, so that a seed
// writes the corpus it wrote before) without making a rune for each.
func (f *faker) LetterN(n uint) string {
	var buf [64]byte
	b := buf[:0]
	for range max(n, 1) {
		b = append(b, letters[f.Rand.Intn(len(letters))])
	}
	return string(b)
}

// Sentence shadows gofakeit's: n words, the first capitalised, ending with a full stop.
func (f *faker) Sentence(n int) string {
	var buf [128]byte // room for most sentences, so that the string is the one allocation
	return string(f.appendSentence(buf[:0], n))
}

// appendSentence appends a Sentence to b, for texts made of several.
func (f *faker) appendSentence(b []byte, n int) []byte {
	words := pools().words
	start := len(b)
	for i := range n {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, words[f.intn(len(words))]...)
	}
	if len(b) > start && b[start] >= 'a' && b[start] <= 'z' {
		b[start] -= 'a' - 'A'
	}
	return append(b, '.')
}

// Paragraph shadows gofakeit's with sentences of Sentence.
func (f *faker) Paragraph(paragraphs, sentences, words int, separator string) string {
	b := make([]byte, 0, paragraphs*sentences*words*8)
	for p := range paragraphs {
		if p > 0 {
			b = append(b, separator...)
		}
		for s := range sentences {
			if s > 0 {
				b = append(b, ' ')
			}
			b = f.appendSentence(b, words)
		}
	}
	return string(b)
}

func (f *faker) digits(n int) string {
	var buf [32]byte // room for every number the providers send
	return string(f.appendDigits(buf[:0], n))
}

func (f *faker) appendDigits(b []byte, n int) []byte {
	for range n {
		b = append(b, '0'+byte(f.intn(10)))
	}
	return b
}

func (f *faker) hex(n int) string {
	var buf [64]byte
	return string(f.appendHex(buf[:0], n, hexDigits))
}

// appendHex appends n random digits of alphabet, sixteen from each draw.
func (f *faker) appendHex(b []byte, n int, alphabet string) []byte {
	for n > 0 {
		x := f.src.Uint64()
		for k := 0; k < 16 && n > 0; k++ {
			b = append(b, alphabet[x&0xF])
			x >>= 4
			n--
		}
	}
	return b
}

// uuid returns a version 4 UUID.
func (f *faker) uuid() string {
	h := f.appendHex(make([]byte, 0, 36), 32, hexDigits)
	h[12] = '4'
	h[16] = "89ab"[f.intn(4)]
	out := make([]byte, 0, 36)
	out = append(append(out, h[:8]...), '-')
	out = append(append(out, h[8:12]...), '-')
	out = append(append(out, h[12:16]...), '-')
	out = append(append(out, h[16:20]...), '-')
	return string(append(out, h[20:]...))
}

// countryPlans are calling codes with the length of their national numbers and a leading digit, so
// that numbers look like the ones providers send: digits only, country code first, no "+".
var countryPlans = []struct {
	code     string
	lead     string
	national int
}{
	{"86", "13", 11}, {"86", "18", 11}, {"91", "9", 10}, {"62", "81", 11}, {"63", "9", 10},
	{"1", "4", 10}, {"44", "7", 10}, {"55", "119", 11}, {"234", "80", 10}, {"971", "5", 9},
	{"52", "1", 10}, {"49", "15", 11}, {"966", "5", 9}, {"880", "17", 10},
}

func (f *faker) phone() string {
	p := countryPlans[f.intn(len(countryPlans))]
	var buf [32]byte
	b := append(append(buf[:0], p.code...), p.lead...)
	return string(f.appendDigits(b, p.national-len(p.lead)))
}

// Names in the scripts WhatsApp users write them in: profile names arrive as the user typed them.
var (
	cjkFamily   = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "佐藤", "鈴木", "김", "박"}
	cjkGiven    = []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "洋", "太郎", "花子", "민준", "서연"}
	arabicNames = []string{"محمد", "أحمد", "فاطمة", "علي", "يوسف", "مريم", "خالد", "نور", "عمر", "ليلى"}
	arabicFam   = []string{"العلي", "الحسن", "الشمري", "القحطاني", "المصري", "حداد"}
	devaGiven   = []string{"राहुल", "प्रिया", "अमित", "सुनीता", "विजय", "अंजलि", "संजय", "पूजा"}
	devaFamily  = []string{"शर्मा", "पटेल", "कुमार", "देवी", "सिंह", "वर्मा", "गुप्ता"}
)

func (f *faker) personName() string {
	switch f.intn(8) {
	case 0:
		return f.pick(cjkFamily) + f.pick(cjkGiven)
	case 1:
		return f.pick(arabicNames) + " " + f.pick(arabicFam)
	case 2:
		return f.pick(devaGiven) + " " + f.pick(devaFamily)
	case 3:
		return f.FirstName() // many profiles carry a first name only
	default:
		return f.FirstName() + " " + f.LastName()
	}
}

// wamid returns a Meta message id: "wamid." and base64 of a record holding the user's number, as real
// ones do.
func (f *faker) wamid(phone string) string {
	var rawBuf [64]byte
	raw := append(rawBuf[:0], 0x1c, 0x18, byte(len(phone)))
	raw = append(raw, phone...)
	raw = append(raw, 0x15, 0x02, 0x00, 0x12, 0x18, 0x20)
	raw = f.appendHex(raw, 32, "0123456789ABCDEF")
	raw = append(raw, 0x00)
	var buf [96]byte // "wamid." and the base64 of a record for a number of up to 16 digits
	return string(base64.StdEncoding.AppendEncode(append(buf[:0], "wamid."...), raw))
}

// Reactions include multi-codepoint sequences: ZWJ families, flags, skin tones, variation selectors.
var reactionEmoji = []string{
	"👍", "❤️", "😂", "😮", "😢", "🙏", "🔥", "🎉",
	"👨‍👩‍👧‍👦", "👩‍❤️‍👨", "🏳️‍🌈", "🧑🏽‍💻", "🇧🇷", "🇮🇳", "🇨🇳", "🇸🇦",
	"👍🏻", "👍🏿", "🙏🏽", "👋🏾", "✌️", "☺️", "🫶", "🥲",
}

func (f *faker) emoji() string { return f.pick(reactionEmoji) }

// Phrases in other scripts, mixed into text bodies.
var scriptPhrases = []string{
	"你好，我想查询一下我的订单。", "请问几点开门？", "ありがとうございます", "주문 확인 부탁드립니다",
	"مرحبا، هل الطلب جاهز؟", "شكراً جزيلاً", "नमस्ते, मेरा ऑर्डर कहाँ है?", "धन्यवाद",
	"Olá, tudo bem?", "¿Cuánto cuesta el envío?", "Привет! Когда доставка?", "Xin chào, tôi cần giúp đỡ",
}

// textBody returns a message text from empty-ish to the 4096-character maximum, weighted towards what
// people actually send.
func (f *faker) textBody() string {
	switch n := f.intn(100); {
	case n < 45:
		return f.Sentence(f.between(2, 14))
	case n < 60:
		return f.pick(scriptPhrases)
	case n < 70:
		return f.pick(scriptPhrases) + " " + f.emoji() + " " + f.Sentence(f.between(3, 8))
	case n < 78:
		return f.pick([]string{"ok", "Ok", "?", ".", "👍", "Hi", "1", " ", "yes", "STOP"})
	case n < 88:
		return f.Paragraph(f.between(1, 3), f.between(2, 5), f.between(6, 14), "\n\n")
	case n < 97:
		return f.longText(f.between(500, 2000))
	default:
		return f.longText(maxTextLength)
	}
}

// longText returns exactly n characters (runes) of mixed-script text: phrases and sentences, each
// followed by a space, the last cut short.
func (f *faker) longText(n int) string {
	b := make([]byte, 0, 2*n) // Latin text takes a byte a character, the phrases two or three
	count := 0
	for count < n {
		start := len(b)
		if f.chance(0.2) {
			b = append(b, f.pick(scriptPhrases)...)
		} else {
			b = f.appendSentence(b, f.between(4, 12))
		}
		b = append(b, ' ')
		if rc := utf8.RuneCount(b[start:]); count+rc <= n {
			count += rc
			continue
		}
		end := start
		for ; count < n; count++ {
			_, size := utf8.DecodeRune(b[end:])
			end += size
		}
		b = b[:end]
	}
	return string(b)
}

func (f *faker) coordinates() (lat, lon float64) {
	return f.Float64Range(-90, 90), f.Float64Range(-180, 180)
}

// epoch bounds the moments payloads carry: fixed, so that output never depends on the clock.
var (
	epochStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	epochSpan  = int64(2 * 365 * 24 * time.Hour / time.Millisecond)
)

// moment returns a send time at millisecond precision.
func (f *faker) moment() time.Time {
	return epochStart.Add(time.Duration(f.src.Uint64()%uint64(epochSpan)) * time.Millisecond)
}

// isoMillis formats t as InnoPaaS does: 2023-02-22T12:00:00.000Z. By hand, because time.Format's
// layout interpretation was a noticeable share of generating a payload.
func isoMillis(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	b := make([]byte, 0, 24)
	b = appendPadded(b, year, 4)
	b = appendPadded(append(b, '-'), int(month), 2)
	b = appendPadded(append(b, '-'), day, 2)
	b = appendPadded(append(b, 'T'), hour, 2)
	b = appendPadded(append(b, ':'), minute, 2)
	b = appendPadded(append(b, ':'), second, 2)
	b = appendPadded(append(b, '.'), t.Nanosecond()/1e6, 3)
	return string(append(b, 'Z'))
}

func appendPadded(b []byte, v, width int) []byte {
	for d := width - 1; d >= 0; d-- {
		p := 1
		for range d {
			p *= 10
		}
		b = append(b, byte('0'+v/p%10))
	}
	return b
}

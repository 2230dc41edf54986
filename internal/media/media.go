// Package media makes the attachments the fake provider announces: tiny but real files that a
// receiver can download, hash and even open, rebuilt from (kind, seed) on every request instead of
// being stored, so a webhook generated today can still be served byte for byte tomorrow.
//
// Each kind is written by hand or by the standard library in one file of its own (jpeg.go, webp.go,
// ogg.go, mp4.go, pdf.go); key.go turns (kind, seed) into a download path and back.
package media

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Kind is the WhatsApp message type an attachment belongs to; it doubles as the first part of a
// media key, so its values never contain '-'.
type Kind string

// The kinds of attachment a WhatsApp inbound webhook can announce.
const (
	Image    Kind = "image"
	Sticker  Kind = "sticker"
	Audio    Kind = "audio"
	Video    Kind = "video"
	Document Kind = "document"
)

// ErrUnknownKind is wrapped by every error about a kind this package cannot make, so a server can
// answer 404 rather than 500 for a made-up path.
var ErrUnknownKind = errors.New("media: unknown kind")

// kinds is the single catalogue of makers: Kinds, Generate and ParseKey all read it, so a new kind
// cannot be generated without also being addressable.
var kinds = []struct {
	kind   Kind
	mime   string
	prefix string // Filename prefix, after WhatsApp's own IMG-/VID- habits where it has them
	ext    string
	make   func(seed uint64) []byte
}{
	{Image, "image/jpeg", "IMG-", ".jpg", makeJPEG},
	{Sticker, "image/webp", "sticker-", ".webp", makeWebP},
	{Audio, "audio/ogg; codecs=opus", "audio-", ".ogg", makeOgg},
	{Video, "video/mp4", "VID-", ".mp4", makeMP4},
	{Document, "application/pdf", "doc-", ".pdf", makePDF},
}

// Kinds returns every kind Generate accepts, in a fixed order, so tests and CLIs can range over all
// of them without keeping a list of their own.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i, k := range kinds {
		out[i] = k.kind
	}
	return out
}

// File is one generated attachment: what the webhook announces (MIME type, file name, digest) and
// what the download link later serves (Bytes), kept together so the two cannot disagree.
type File struct {
	// Kind and Seed are all it takes to make the file again; Key(Kind, Seed) names it in a download path.
	Kind Kind
	Seed uint64
	// MIMEType is the value for the webhook's mime_type field, parameters included.
	MIMEType string
	// Filename names the file by the low 32 bits of the seed: easy to read in a log, not unique.
	Filename string
	// Bytes is the whole file, exactly as the download link serves it.
	Bytes []byte
}

// SHA256 returns the digest in the form the providers put in a webhook's sha256 field: standard
// base64 of the raw digest, not hex.
func (f File) SHA256() string {
	sum := sha256.Sum256(f.Bytes)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Generate makes the file for (kind, seed). The same pair gives the same bytes on every run and
// machine, and every seed gives different bytes, because each format carries the seed itself (in a
// comment, metadata or free-space field) besides the content derived from it. Bytes is a fresh
// slice the caller may keep or change.
func Generate(kind Kind, seed uint64) (File, error) {
	for _, k := range kinds {
		if k.kind == kind {
			return File{
				Kind:     kind,
				Seed:     seed,
				MIMEType: k.mime,
				Filename: fmt.Sprintf("%s%08x%s", k.prefix, uint32(seed), k.ext),
				Bytes:    k.make(seed),
			}, nil
		}
	}
	return File{}, fmt.Errorf("generate %q: %w", kind, ErrUnknownKind)
}

// known reports whether kind is in the catalogue.
func known(kind Kind) bool {
	for _, k := range kinds {
		if k.kind == kind {
			return true
		}
	}
	return false
}

// mix64 is splitmix64's finaliser. Being a bijection, it turns a seed into well-spread bits without
// ever mapping two seeds to the same value; per-format salts keep the kinds' contents unrelated.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

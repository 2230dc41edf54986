package media

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
)

// jpegSide keeps the picture two 4:2:0 macroblocks wide: large enough for a visible gradient, small
// enough that the encoder's fixed tables, not the pixels, dominate size and time.
const jpegSide = 16

// makeJPEG draws a gradient between two seed-chosen colours and encodes it with image/jpeg, whose
// output depends only on the pixels and options, though a future Go release could change it (the
// golden digests in the tests would then fail). Lossy quantisation can map two nearby seeds to the
// same pixels, so the seed also goes into a COM segment, which decoders skip.
func makeJPEG(seed uint64) []byte {
	r := mix64(seed ^ 0x4a504547) // "JPEG"
	from := color.RGBA{uint8(r), uint8(r >> 8), uint8(r >> 16), 0xff}
	to := color.RGBA{uint8(r >> 24), uint8(r >> 32), uint8(r >> 40), 0xff}
	img := image.NewRGBA(image.Rect(0, 0, jpegSide, jpegSide))
	for y := range jpegSide {
		for x := range jpegSide {
			t := x + y // 0 .. 2*(jpegSide-1), a diagonal blend
			img.SetRGBA(x, y, color.RGBA{
				R: lerp(from.R, to.R, t),
				G: lerp(from.G, to.G, t),
				B: lerp(from.B, to.B, t),
				A: 0xff,
			})
		}
	}

	var enc flushBuffer
	enc.Grow(1024)
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 85}); err != nil {
		// Encoding an in-memory RGBA into a bytes.Buffer has no failure path but a bug here.
		panic(fmt.Sprintf("media: jpeg.Encode: %v", err))
	}
	raw := enc.Bytes()

	comment := fmt.Appendf(nil, "wahook mock image seed=%016x", seed)
	out := make([]byte, 0, len(raw)+4+len(comment))
	out = append(out, raw[:2]...) // SOI
	out = append(out, 0xff, 0xfe, byte((len(comment)+2)>>8), byte(len(comment)+2))
	out = append(out, comment...)
	return append(out, raw[2:]...)
}

// lerp blends a to b at step t of 2*(jpegSide-1).
func lerp(a, b uint8, t int) uint8 {
	const steps = 2 * (jpegSide - 1)
	return uint8((int(a)*(steps-t) + int(b)*t) / steps)
}

// flushBuffer gives bytes.Buffer the Flush method image/jpeg looks for, which stops the encoder
// wrapping it in a fresh 4 KiB bufio.Writer on every call.
type flushBuffer struct{ bytes.Buffer }

func (*flushBuffer) Flush() error { return nil }

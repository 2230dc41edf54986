package media

import "encoding/binary"

// makeMP4 writes the smallest ISO BMFF file that sniffers and box parsers take for an MP4:
//
//	ftyp  major brand isom, compatible isom iso2 mp41
//	free  the seed, as the format's own place for bytes readers must skip
//	moov
//	  mvhd  version 0, timescale 1000, a seed-chosen duration of 1 to 60 seconds
//
// It has no track and no media data: box parsers and sniffers accept it, but ISO/IEC 14496-12 asks
// for at least one trak, so strict validators and players treat it as an empty or broken movie.
func makeMP4(seed uint64) []byte {
	const timescale = 1000                                  // units per second, so the duration reads in milliseconds
	duration := uint32(1000 + mix64(seed^0x6d703476)%59001) // "mp4v"

	out := make([]byte, 0, 200)

	out = appendBox(out, "ftyp", func(b []byte) []byte {
		b = append(b, "isom"...)                    // major brand
		b = binary.BigEndian.AppendUint32(b, 0x200) // minor version, as ffmpeg writes it
		return append(b, "isomiso2mp41"...)         // compatible brands
	})

	out = appendBox(out, "free", func(b []byte) []byte {
		b = append(b, "wahook mock video "...)
		return binary.BigEndian.AppendUint64(b, seed)
	})

	out = appendBox(out, "moov", func(b []byte) []byte {
		return appendBox(b, "mvhd", func(b []byte) []byte {
			b = append(b, 0, 0, 0, 0)               // version 0, flags 0
			b = binary.BigEndian.AppendUint32(b, 0) // creation time: fixed, for determinism
			b = binary.BigEndian.AppendUint32(b, 0) // modification time
			b = binary.BigEndian.AppendUint32(b, timescale)
			b = binary.BigEndian.AppendUint32(b, duration)
			b = binary.BigEndian.AppendUint32(b, 0x00010000) // rate 1.0, 16.16 fixed point
			b = binary.BigEndian.AppendUint16(b, 0x0100)     // volume 1.0, 8.8 fixed point
			b = append(b, make([]byte, 2+8)...)              // reserved
			for _, v := range [9]uint32{0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000} {
				b = binary.BigEndian.AppendUint32(b, v) // unity matrix
			}
			b = append(b, make([]byte, 6*4)...)        // pre_defined
			return binary.BigEndian.AppendUint32(b, 1) // next track ID
		})
	})
	return out
}

// appendBox appends a box whose 32-bit size covers its header and whatever body writes, so sizes
// stay right however the body changes.
func appendBox(out []byte, typ string, body func([]byte) []byte) []byte {
	start := len(out)
	out = append(out, 0, 0, 0, 0)
	out = append(out, typ...)
	out = body(out)
	binary.BigEndian.PutUint32(out[start:], uint32(len(out)-start))
	return out
}

package media

import (
	"fmt"
	"strconv"
)

// makePDF writes a one-page PDF 1.4 that readers open without repairing it: catalog, page tree,
// one page showing text derived from the seed in a standard font (which needs no embedding), and a
// cross-reference table whose offsets are measured while writing. It has no Info dictionary and no
// file ID, which would carry dates or hashes that vary between runs.
func makePDF(seed uint64) []byte {
	r := mix64(seed ^ 0x25504446) // "%PDF"
	content := fmt.Sprintf("BT /F1 12 Tf 24 60 Td (wahook mock document) Tj 0 -18 Td (%s) Tj "+
		"0 -18 Td (ref %08X) Tj ET", Key(Document, seed), uint32(r))

	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 320 100] " +
			"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		// Length counts the bytes between the EOL after "stream" and the EOL before "endstream".
		"<< /Length " + strconv.Itoa(len(content)) + " >>\nstream\n" + content + "\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}

	out := make([]byte, 0, 1024)
	// The comment of four bytes above 127 tells transfer tools the file is binary (PDF 1.4, 3.4.1).
	out = append(out, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"...)
	offsets := make([]int, len(objects))
	for i, obj := range objects {
		offsets[i] = len(out)
		out = fmt.Appendf(out, "%d 0 obj\n%s\nendobj\n", i+1, obj)
	}

	xref := len(out)
	// Every entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, and a two-byte
	// end of line, so readers can seek straight to entry N.
	out = fmt.Appendf(out, "xref\n0 %d\n0000000000 65535 f\r\n", len(objects)+1)
	for _, off := range offsets {
		out = fmt.Appendf(out, "%010d 00000 n\r\n", off)
	}
	return fmt.Appendf(out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
}

package corpus_test

import (
	"path/filepath"
	"testing"

	"github.com/wahook/wahook/internal/corpus"
)

// BenchmarkWrite measures a JSONL corpus written to disk, per payload, with its manifest.
func BenchmarkWrite(b *testing.B) {
	for _, format := range []corpus.Format{corpus.JSONL, corpus.Files} {
		b.Run(string(format), func(b *testing.B) {
			const count = 20_000
			dir := b.TempDir()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				sum, err := corpus.Write(b.Context(), corpus.Options{
					Dir: filepath.Join(dir, string(rune('a'+i%26))), Count: count, Format: format, Force: true,
				})
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(sum.Bytes / count))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*count), "ns/payload")
		})
	}
}

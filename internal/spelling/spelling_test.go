package spelling_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wahook/wahook/internal/spelling"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"send", "send", 2, 0},
		{"sned", "send", 2, 1},
		{"snde", "send", 2, 2},
		{"businessPhone", "buqinessPhone", 2, 1},
		{"eventType", "evejtType", 2, 1},
		{"abc", "", 2, 3},
		{"abcdef", "uvwxyz", 2, 3},
		{"", "", 0, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, spelling.Distance(tt.a, tt.b, tt.limit), "%q %q", tt.a, tt.b)
	}
}

func TestClosest(t *testing.T) {
	ids := []string{"empty-body", "empty-object", "invalid-json"}
	assert.Equal(t, "empty-body", spelling.Closest("empty-bod", ids))
	assert.Equal(t, "invalid-json", spelling.Closest("invalid-jsno", ids))
	assert.Equal(t, "", spelling.Closest("zzz", ids))
	assert.Equal(t, "send", spelling.Closest("sned", []string{"serve", "send"}))
}

package redact

import (
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Sorted so that a rune in more than one table (none should be) always resolves the same way, and
// so the same fake comes out of every run.
var (
	scriptNames   = slices.Sorted(maps.Keys(unicode.Scripts))
	categoryNames = slices.DeleteFunc(slices.Sorted(maps.Keys(unicode.Categories)), func(n string) bool { return len(n) != 2 })
)

// letterCategories are kept apart so that a capital stays a capital in every script that has case.
var letterCategories = []*unicode.RangeTable{unicode.Lu, unicode.Ll, unicode.Lt, unicode.Lm, unicode.Lo}

// pool names the letters a letter may become: those of its script and category that take as many
// bytes in UTF-8, so that the fake stays in the same block (renders in the same fonts, keeps the
// body's length) rather than straying into, say, Arabic presentation forms or rare Han extensions.
type pool struct {
	script   string
	category int
	size     int
}

// pools caches each pool's letters, built on first use: the Han pool alone is tens of thousands.
var pools sync.Map // pool -> []rune

// fake returns what c becomes, drawing from rng: a digit or letter of the same kind, anything else
// unchanged.
func fake(rng *rand.Rand, c rune) rune {
	switch {
	case '0' <= c && c <= '9':
		return '0' + rune(rng.IntN(10))
	case 'a' <= c && c <= 'z':
		return 'a' + rune(rng.IntN(26))
	case 'A' <= c && c <= 'Z':
		return 'A' + rune(rng.IntN(26))
	case unicode.IsDigit(c):
		return digitZero(c) + rune(rng.IntN(10))
	case unicode.IsLetter(c):
		if letters := lettersLike(c); len(letters) > 0 {
			return letters[rng.IntN(len(letters))]
		}
	}
	return c
}

// another returns a rune other than c of the same kind, for the last resort of Value: the next in
// c's pool for a letter or digit, else the next code point of c's general category. It is c itself
// only when c is alone in its category or has none.
func another(c rune) rune {
	switch {
	case '0' <= c && c <= '9':
		return '0' + (c-'0'+1)%10
	case 'a' <= c && c <= 'z':
		return 'a' + (c-'a'+1)%26
	case 'A' <= c && c <= 'Z':
		return 'A' + (c-'A'+1)%26
	case unicode.IsDigit(c):
		zero := digitZero(c)
		return zero + (c-zero+1)%10
	}
	if letters := lettersLike(c); len(letters) > 1 {
		return letters[(slices.Index(letters, c)+1)%len(letters)]
	}
	for _, name := range categoryNames {
		if t := unicode.Categories[name]; unicode.Is(t, c) {
			var runes []rune
			each(t, func(n rune) { runes = append(runes, n) })
			i, _ := slices.BinarySearch(runes, c)
			return runes[(i+1)%len(runes)]
		}
	}
	return c
}

// digitZero returns the zero of decimal digit c's set. Unicode keeps each set as ten consecutive
// code points from zero, and where sets adjoin (the mathematical digits) each still starts at one.
func digitZero(c rune) rune {
	start := c
	for unicode.IsDigit(start - 1) {
		start--
	}
	return c - (c-start)%10
}

// lettersLike returns the letters of letter c's pool, or nil when c is not a letter of any script.
func lettersLike(c rune) []rune {
	p, ok := poolOf(c)
	if !ok {
		return nil
	}
	if letters, ok := pools.Load(p); ok {
		return letters.([]rune)
	}
	var letters []rune
	each(unicode.Scripts[p.script], func(n rune) {
		if unicode.Is(letterCategories[p.category], n) && utf8.RuneLen(n) == p.size {
			letters = append(letters, n)
		}
	})
	stored, _ := pools.LoadOrStore(p, letters)
	return stored.([]rune)
}

// poolOf returns the pool of letter c.
func poolOf(c rune) (pool, bool) {
	for _, name := range scriptNames {
		if !unicode.Is(unicode.Scripts[name], c) {
			continue
		}
		for i, t := range letterCategories {
			if unicode.Is(t, c) {
				return pool{script: name, category: i, size: utf8.RuneLen(c)}, true
			}
		}
		return pool{}, false
	}
	return pool{}, false
}

// each calls f with every rune of t, in increasing order.
func each(t *unicode.RangeTable, f func(rune)) {
	for _, r := range t.R16 {
		for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
			f(c)
		}
	}
	for _, r := range t.R32 {
		for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
			f(c)
		}
	}
}

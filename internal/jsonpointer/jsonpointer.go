// Package jsonpointer reads and edits decoded JSON documents (map[string]any, []any and scalars) at
// RFC 6901 JSON pointers. Edits happen in place; Clone first to keep the original.
package jsonpointer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNotFound is returned when a pointer does not lead to a value.
var ErrNotFound = errors.New("no value at pointer")

// Split breaks a pointer into its unescaped tokens; "" (the whole document) has none.
func Split(ptr string) ([]string, error) {
	if ptr == "" {
		return nil, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("pointer %q does not start with /", ptr)
	}
	tokens := strings.Split(ptr[1:], "/")
	for i, t := range tokens {
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return tokens, nil
}

// Escape turns a property name into a pointer token.
func Escape(name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(name, "~", "~0"), "/", "~1")
}

// Generalise rewrites each token of ptr with f (array indices as "0", say), so that one field of
// every element of an array, or of every object a name stands for, is one pointer. A pointer that
// does not split is kept as it is.
func Generalise(ptr string, f func(token string) string) string {
	tokens, err := Split(ptr)
	if err != nil {
		return ptr
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(Escape(f(t)))
	}
	return b.String()
}

// IndexAsZero is an array index written as "0", any other token as it is: for Generalise.
func IndexAsZero(token string) string {
	if token != "" && strings.Trim(token, "0123456789") == "" {
		return "0"
	}
	return token
}

// Parent splits a pointer into its parent's pointer and its last token (unescaped).
func Parent(ptr string) (parent, last string, err error) {
	i := strings.LastIndex(ptr, "/")
	if i < 0 {
		return "", "", fmt.Errorf("pointer %q has no parent", ptr)
	}
	tokens, err := Split(ptr[i:])
	if err != nil {
		return "", "", err
	}
	return ptr[:i], tokens[0], nil
}

// Get returns the value at ptr.
func Get(doc any, ptr string) (any, error) {
	tokens, err := Split(ptr)
	if err != nil {
		return nil, err
	}
	cur := doc
	for _, t := range tokens {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, fmt.Errorf("%w: %s", ErrNotFound, ptr)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("%w: %s", ErrNotFound, ptr)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("%w: %s", ErrNotFound, ptr)
		}
	}
	return cur, nil
}

// Set puts value at ptr, creating the last property of an existing object or replacing an array element.
func Set(doc any, ptr string, value any) error {
	parent, last, err := getParent(doc, ptr)
	if err != nil {
		return err
	}
	switch p := parent.(type) {
	case map[string]any:
		p[last] = value
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(p) {
			return fmt.Errorf("%w: %s", ErrNotFound, ptr)
		}
		p[i] = value
	default:
		return fmt.Errorf("%w: %s (parent is not an object or array)", ErrNotFound, ptr)
	}
	return nil
}

// getParent returns the value holding ptr's target, and the target's name in it.
func getParent(doc any, ptr string) (parent any, last string, err error) {
	parentPtr, last, err := Parent(ptr)
	if err != nil {
		return nil, "", err
	}
	parent, err = Get(doc, parentPtr)
	return parent, last, err
}

// Remove deletes the object property at ptr. Array elements are not removed: that would shift the
// pointers of their siblings.
func Remove(doc any, ptr string) error {
	parent, last, err := getParent(doc, ptr)
	if err != nil {
		return err
	}
	obj, ok := parent.(map[string]any)
	if !ok {
		return fmt.Errorf("remove %s: parent is not an object", ptr)
	}
	if _, ok := obj[last]; !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, ptr)
	}
	delete(obj, last)
	return nil
}

// Rename moves the object property at ptr to the sibling key name.
func Rename(doc any, ptr, name string) error {
	v, err := Get(doc, ptr)
	if err != nil {
		return err
	}
	if err := Remove(doc, ptr); err != nil {
		return err
	}
	parentPtr, _, _ := Parent(ptr)
	return Set(doc, parentPtr+"/"+Escape(name), v)
}

// Clone deep-copies a decoded document.
func Clone(doc any) any {
	switch v := doc.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = Clone(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = Clone(e)
		}
		return out
	case json.Number, string, bool, float64, nil:
		return v
	}
	return doc
}

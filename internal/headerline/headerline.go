// Package headerline reads the "Name: value" header lines that wahook's commands take, as curl's -H
// does (wahook send -H, the reference receiver's --auth-header).
package headerline

import (
	"errors"
	"net/http"
	"strings"
)

// Parse splits a "Name: value" header line, as curl's -H takes it, dropping the blanks around
// the name and the value. It checks the line's shape only: whether the header can be sent is checked
// once, with the other inputs of a send, by mockprovider.Target.Check. Its errors quote nothing of the line,
// which may hold a credential.
func Parse(line string) (name, value string, err error) {
	name, value, ok := strings.Cut(line, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	switch {
	case !ok:
		return "", "", errors.New("a line without ':': want 'Name: value'")
	case name == "":
		return "", "", errors.New("no name before ':': want 'Name: value'")
	}
	return name, value, nil
}

// All reads "Name: value" lines as Parse does into one header, deterministically:
// names are compared case-insensitively, so a name given twice in any letter case is one header, kept
// under its first spelling, with every value in the order given. Spellings are otherwise kept as
// typed, because a receiver may compare a name byte for byte (InnoPaaS sends "UserName").
func All(lines []string) (http.Header, error) {
	h := http.Header{}
	for _, line := range lines {
		name, value, err := Parse(line)
		if err != nil {
			return nil, err
		}
		key := name
		for k := range h {
			if strings.EqualFold(k, name) {
				key = k
				break
			}
		}
		h[key] = append(h[key], value)
	}
	return h, nil
}

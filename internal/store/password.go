package store

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password rules, NIST SP 800-63B style: a minimum length, a maximum that allows passphrases,
// and a check against commonly used passwords; no composition rules (no "one digit, one
// symbol"), which only make passwords harder to remember.
const (
	minPassword = 12
	maxPassword = 200
)

//go:embed common-passwords.txt
var commonPasswordFile string

// commonPasswords is the embedded list, lower-cased.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordFile, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// Problem is why a value was refused, as a message catalog key and its arguments (the caller
// puts it in the reader's language).
type Problem struct {
	Key  string
	Args []any
}

// IsZero reports whether there is no problem.
func (p Problem) IsZero() bool { return p.Key == "" }

// PasswordProblem returns why password may not be used, or a zero Problem. context holds words
// specific to this account (its e-mail, name, the venue's name) that a password must not be
// built from.
func PasswordProblem(password string, context ...string) Problem {
	n := utf8.RuneCountInString(password)
	switch {
	case n < minPassword:
		return Problem{Key: "admin.password.short", Args: []any{minPassword}}
	case n > maxPassword:
		return Problem{Key: "admin.password.long", Args: []any{maxPassword}}
	}
	lower := strings.ToLower(password)
	stem := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if commonPasswords[lower] || (stem != "" && commonPasswords[stem]) || commonPasswords[strings.ReplaceAll(lower, " ", "")] {
		return Problem{Key: "admin.password.common"}
	}
	if repetitive(lower) {
		return Problem{Key: "admin.password.repetitive"}
	}
	for _, c := range context {
		for _, word := range strings.FieldsFunc(strings.ToLower(c), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if utf8.RuneCountInString(word) >= 4 && strings.Contains(lower, word) && utf8.RuneCountInString(stem) <= utf8.RuneCountInString(word)+4 {
				return Problem{Key: "admin.password.personal"}
			}
		}
	}
	return Problem{}
}

// repetitive reports whether s is mostly one character repeated, or a run of consecutive
// characters (abcdef…, 98765…), so that it has almost no variety.
func repetitive(s string) bool {
	rs := []rune(s)
	distinct := map[rune]bool{}
	steps := map[int]int{}
	for i, r := range rs {
		distinct[r] = true
		if i > 0 {
			steps[int(r)-int(rs[i-1])]++
		}
	}
	if len(distinct) <= 3 {
		return true
	}
	for _, count := range steps {
		if count >= len(rs)-2 {
			return true
		}
	}
	return false
}

// Package static holds the stylesheet and images every page uses, embedded in the binary.
package static

import "embed"

// FS holds the static files, served under /static/.
//
//go:embed *.css
var FS embed.FS

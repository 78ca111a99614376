// Package static holds the stylesheet every page uses and the scripts of embedded booking (the
// framed page's embed-frame.js, the venue site's embed.js), embedded in the binary.
package static

import "embed"

// FS holds the static files, served under /static/.
//
//go:embed *.css *.js
var FS embed.FS

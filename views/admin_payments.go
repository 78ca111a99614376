package views

// keptHint is a secret field's hint: that a stored one is kept when the field is left blank,
// or how to find it.
func keptHint(stored bool, how string) Msg {
	if stored {
		return M("admin.payments.kept")
	}
	return M(how)
}

package transport

import (
	"strings"
	"testing"
)

func TestCleanStatus(t *testing.T) {
	long := "403 " + strings.Repeat("Forbidden ", 300)
	tests := []struct {
		name, in, want string
	}{
		{"plain", "403 Forbidden", "403 Forbidden"},
		{"terminal escapes", "403 \x1b[2J\x1b]0;owned\x07Forbidden", "403 [2J]0;ownedForbidden"},
		{"C1 controls and bad bytes", "500 a\u009bb\xffc", "500 abc"},
		{"long", long, long[:maxStatus] + "…"},
		{"cut at a character", "4031 " + strings.Repeat("ممنوع", 20), ("4031 " + strings.Repeat("ممنوع", 20))[:maxStatus-1] + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cleanStatus(tt.in)
			if got != tt.want {
				t.Errorf("cleanStatus(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.ContainsRune(got, 0x1b) || len(got) > maxStatus+len("…") {
				t.Errorf("%q is not safe to print", got)
			}
		})
	}
}

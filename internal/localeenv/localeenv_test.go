package localeenv

import "testing"

func TestApply(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // LANGUAGE afterwards
	}{
		{"C.UTF-8", map[string]string{"LANG": "C.UTF-8"}, "en"},
		{"POSIX", map[string]string{"LANG": "POSIX"}, "en"},
		{"LC_ALL wins", map[string]string{"LC_ALL": "C.utf8", "LANG": "fa_IR.UTF-8"}, "en"},
		{"Persian", map[string]string{"LANG": "fa_IR.UTF-8"}, ""},
		{"LC_ALL Persian over LANG C", map[string]string{"LC_ALL": "fa_IR.UTF-8", "LANG": "C"}, ""},
		{"LANGUAGE kept", map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "fa"}, "fa"},
		{"nothing set", map[string]string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			Apply(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if env["LANGUAGE"] != tt.want {
				t.Errorf("LANGUAGE = %q, want %q", env["LANGUAGE"], tt.want)
			}
		})
	}
}

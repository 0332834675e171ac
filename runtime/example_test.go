package runtime_test

import (
	"fmt"

	"tether/runtime"
)

func ExampleWords() {
	for _, w := range runtime.Words([]byte(`set dynamic-cookie-key backend bk a\;b\ c`)) {
		fmt.Printf("%q\n", w)
	}
	// Output:
	// "set"
	// "dynamic-cookie-key"
	// "backend"
	// "bk"
	// "a;b c"
}

func ExampleParseTarget() {
	for _, a := range []string{"ipv4@127.0.0.1:9999", "ipv6@::1:9999", "/run/tether.sock"} {
		t, _ := runtime.ParseTarget(a)
		fmt.Println(t.Network, t.Address)
	}
	// Output:
	// tcp4 127.0.0.1:9999
	// tcp6 [::1]:9999
	// unix /run/tether.sock
}

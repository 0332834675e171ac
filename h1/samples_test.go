package h1

// Realistic heads shared by benchmarks, allocation tests and fuzz seeds.
var (
	// chromeRequest is a navigation request as Chrome sends it, with the
	// cookies a site behind a persistence-enabled proxy collects.
	chromeRequest = []byte("GET /account/orders?page=2&sort=date HTTP/1.1\r\n" +
		"Host: shop.example.com\r\n" +
		"Connection: keep-alive\r\n" +
		"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n" +
		"sec-ch-ua-mobile: ?0\r\n" +
		"sec-ch-ua-platform: \"Linux\"\r\n" +
		"Upgrade-Insecure-Requests: 1\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
		"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n" +
		"Sec-Fetch-Site: same-origin\r\n" +
		"Sec-Fetch-Mode: navigate\r\n" +
		"Sec-Fetch-User: ?1\r\n" +
		"Sec-Fetch-Dest: document\r\n" +
		"Referer: https://shop.example.com/account\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Accept-Language: en-US,en;q=0.9,fr;q=0.8\r\n" +
		"Cookie: SERVERID=s2; _ga=GA1.2.1234567890.1700000000; _gid=GA1.2.987654321.1700000000; session=3f2a9c1e7b4d5a6f8e0d1c2b3a4f5e6d; cart=17; theme=dark\r\n" +
		"\r\n")

	// typicalResponse is an application response with persistence cookies.
	typicalResponse = []byte("HTTP/1.1 200 OK\r\n" +
		"Date: Sun, 22 Nov 2026 02:06:01 GMT\r\n" +
		"Server: Apache/2.4.57 (Debian)\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n" +
		"Content-Length: 18734\r\n" +
		"Cache-Control: private, no-cache, no-store, must-revalidate\r\n" +
		"Expires: Thu, 01 Jan 1970 00:00:00 GMT\r\n" +
		"Vary: Accept-Encoding\r\n" +
		"Set-Cookie: session=3f2a9c1e7b4d5a6f8e0d1c2b3a4f5e6d; Path=/; HttpOnly; Secure; SameSite=Lax\r\n" +
		"Set-Cookie: cart=17; Path=/; Max-Age=86400\r\n" +
		"X-Content-Type-Options: nosniff\r\n" +
		"Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n" +
		"\r\n")
)

/*
 * check_bot: the crawler matcher (bot.c) on real User-Agents, browsers
 * and crawlers, and on the edges of its semantics (case, anchors,
 * not_after, the empty User-Agent, bytes past a NUL).
 */
#include <check.h>
#include <pthread.h>
#include <string.h>

#include "bot.h"

Suite *suite_bot(void);

/* The same strings as tests/data/bots/browsers.txt (gen-bots.mjs's). */
static const char *const browsers[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.210 Mobile Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0",
	"Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
	"Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
	"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.2210.115",
	"Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 YaBrowser/24.1.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Vivaldi/6.5.3206.48",
	"Mozilla/5.0 (Linux; U; Android 13; en-US; 2201117TY Build/TKQ1.221114.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 UCBrowser/13.5.8.1311 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 12; CUBOT X50 Build/SP1A.210812.016) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 13; 22071219CG Build/TKQ1.220829.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 13; M2101K6G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.5615.136 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.4.0-g",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/444.0.0.41.111;FBBV/541111111;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.1.2;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 312.0.0.23.114 (iPhone14,5; iOS 17_2; en_US; en; scale=3.00; 1170x2532; 546813466)",
	"Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile DuckDuckGo/5 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; rv:115.0) Gecko/20100101 Firefox/115.0",
	"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Linux; Android 10; HarmonyOS; ELS-NX9; HMSCore 6.12.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.4.300 Mobile Safari/537.36",
};

static const char *const crawlers[] = {
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.216 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Googlebot-Image/1.0",
	"AdsBot-Google (+http://www.google.com/adsbot.html)",
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
	"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
	"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ClaudeBot/1.0; +claudebot@anthropic.com",
	"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)",
	"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
	"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
	"Twitterbot/1.0",
	"Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
	"TelegramBot (like TwitterBot)",
	"WhatsApp/2.23.20.0",
	"LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
	"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
	"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
	"DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
	"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
	"Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
	"CCBot/2.0 (https://commoncrawl.org/faq/)",
	"Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
	"curl/7.88.1",
	"Wget/1.21.3",
	"python-requests/2.31.0",
	"Python-urllib/3.11",
	"Go-http-client/1.1",
	"okhttp/4.12.0",
	"axios/1.6.2",
	"node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
	"Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
	"Mozilla/5.0 (compatible; SomeNewBot/0.1)",
	"my-own-crawler/1.0",
};

#define N(t)	(sizeof(t) / sizeof((t)[0]))

static bool
match(const char *ua)
{
	return bot_match(ua, strlen(ua));
}

START_TEST(browsers_are_not_bots)
{
	ck_assert_uint_ge(N(browsers), 20);
	for (size_t i = 0; i < N(browsers); i++)
		ck_assert_msg(!match(browsers[i]), "matched: %s", browsers[i]);
}
END_TEST

START_TEST(crawlers_are_bots)
{
	ck_assert_uint_ge(N(crawlers), 20);
	for (size_t i = 0; i < N(crawlers); i++)
		ck_assert_msg(match(crawlers[i]), "not matched: %s",
		    crawlers[i]);
}
END_TEST

START_TEST(an_empty_user_agent_is_not_a_bot)
{
	ck_assert(!bot_match("", 0));
	ck_assert(!bot_match(NULL, 0));
	ck_assert(!bot_match("Googlebot/2.1", 0));
	ck_assert(!match(" "));
	ck_assert(!match("-"));
}
END_TEST

START_TEST(list_literals_keep_their_case_generic_tokens_do_not)
{
	/* "^curl", "[wW]get": as the list writes them. */
	ck_assert(match("curl/8.5.0"));
	ck_assert(!match("CURL/8.5.0"));
	ck_assert(match("wget/1.0"));
	ck_assert(!match("WGET/1.0"));
	/* The generic tokens, in any case. */
	ck_assert(match("EXAMPLEBOT"));
	ck_assert(match("Example Crawler"));
	ck_assert(match("x SPIDER x"));
	ck_assert(match("HEADLESS"));
}
END_TEST

START_TEST(anchors_hold)
{
	/* "^curl": at the start only; "GoogleAssociationService$". */
	ck_assert(!match("Mozilla/5.0 libcurl-ish"));
	ck_assert(match("curl"));
	ck_assert(match("x GoogleAssociationService"));
	ck_assert(!match("x GoogleAssociationService y"));
	/* "(^| )sentry\/": at the start or after a blank. */
	ck_assert(match("sentry/23.1"));
	ck_assert(match("x sentry/23.1"));
	ck_assert(!match("xsentry/23.1"));
}
END_TEST

START_TEST(not_after_spares_cubot_phones)
{
	ck_assert(!match("Mozilla/5.0 (Linux; Android 11; CUBOT P50)"));
	ck_assert(!match("cubot"));
	ck_assert(match("Cubot cubot robot"));
	ck_assert(match("bot"));
}
END_TEST

/* The three-byte literals ("Y!J", "BW/", "ds9", "bot") and the edges. */
START_TEST(short_literals_match_anywhere)
{
	ck_assert(match("Y!J"));
	ck_assert(match("Y!J-ASR/0.1 crawler"));
	ck_assert(match("Mozilla/5.0 (compatible; Y!J-WSC/1.0)"));
	ck_assert(match("xxds9"));
	ck_assert(match("ds9 at the start"));
	ck_assert(!match("DS9"));		/* the list's case */
	ck_assert(match("BW/1.0"));		/* "^BW\/" and "BW\/" */
	ck_assert(match("x BW/1.0"));
	ck_assert(match("xbot"));
	ck_assert(match("BoT"));
	/* A literal of four bytes or more at the very start and end. */
	ck_assert(match("Slurp"));
	ck_assert(match("Mozilla/5.0 Slurp"));
	ck_assert(!match("Slur"));
	ck_assert(!match("Y!"));
	ck_assert(!match("ds"));
}
END_TEST

START_TEST(the_length_bounds_the_match)
{
	const char ua[] = "Mozilla/5.0 Googlebot/2.1";
	const char nul[] = "Mozilla/5.0\0Googlebot/2.1";

	/* Only len bytes are read; a NUL is a byte like another. */
	ck_assert(!bot_match(ua, strlen("Mozilla/5.0 Google")));
	ck_assert(bot_match(ua, sizeof(ua) - 1));
	ck_assert(bot_match(nul, sizeof(nul) - 1));
	/* The end anchor is the end of len, not of the string. */
	ck_assert(bot_match("x SSL Labs and more", strlen("x SSL Labs")));
}
END_TEST

START_TEST(every_byte_is_safe)
{
	char ua[512];

	for (size_t i = 0; i < sizeof(ua); i++)
		ua[i] = (char)(i * 7 + 3);
	(void)bot_match(ua, sizeof(ua));
	memset(ua, 0xff, sizeof(ua));
	ck_assert(!bot_match(ua, sizeof(ua)));
}
END_TEST

static void *
match_many(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		if (!match(crawlers[i % N(crawlers)]) ||
		    match(browsers[i % N(browsers)]))
			return (void *)1;
	return NULL;
}

/* The first calls build the tables once, whoever comes first. */
START_TEST(threads_share_one_table)
{
	pthread_t t[4];
	void *r;

	for (size_t i = 0; i < N(t); i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, match_many, NULL),
		    0);
	for (size_t i = 0; i < N(t); i++) {
		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		ck_assert_ptr_null(r);
	}
}
END_TEST

START_TEST(the_table_names_its_source)
{
	ck_assert_ptr_nonnull(strstr(bot_table_source, "crawler-user-agents"));
	ck_assert_uint_gt(bot_table_len, 1000);
}
END_TEST

Suite *suite_bot(void)
{
	Suite *s = suite_create("bot");
	TCase *tc = tcase_create("bot");

	tcase_add_test(tc, threads_share_one_table);
	tcase_add_test(tc, browsers_are_not_bots);
	tcase_add_test(tc, crawlers_are_bots);
	tcase_add_test(tc, an_empty_user_agent_is_not_a_bot);
	tcase_add_test(tc, list_literals_keep_their_case_generic_tokens_do_not);
	tcase_add_test(tc, anchors_hold);
	tcase_add_test(tc, not_after_spares_cubot_phones);
	tcase_add_test(tc, short_literals_match_anywhere);
	tcase_add_test(tc, the_length_bounds_the_match);
	tcase_add_test(tc, every_byte_is_safe);
	tcase_add_test(tc, the_table_names_its_source);
	suite_add_tcase(s, tc);
	return s;
}

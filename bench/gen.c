/* SPDX-License-Identifier: MIT */
/*
 * Seed generator for the benchmarks: writes N SCIM Users as JSON Lines,
 * one 1.2 KB User per line, shaped like an Okta or Entra push (core
 * attributes, emails, phones, an address and the enterprise extension).
 * Every field is derived from the user's index alone, so the same N
 * always gives the same file and the wrk scripts can rebuild any
 * userName ("user0000042@example.com") without reading the file.
 * Usage: gen COUNT [FIRST]
 */
#include <stdio.h>
#include <stdlib.h>

static const char *const given[] = {
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances",
    "Ken", "Dennis", "Margaret", "Niklaus", "Radia", "Leslie", "Tony",
    "Katherine", "John", "Shafi", "Whitfield", "Adele", "Butler"
};
static const char *const family[] = {
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth",
    "Allen", "Thompson", "Ritchie", "Hamilton", "Wirth", "Perlman",
    "Lamport", "Hoare", "Johnson", "Backus", "Goldwasser", "Diffie",
    "Goldberg", "Lampson"
};
static const char *const dept[] = {
    "Engineering", "Sales", "Marketing", "Finance", "Support",
    "Legal", "Operations", "Research"
};
static const char *const city[] = {
    "Lisbon", "Berlin", "Toronto", "Austin", "Dublin", "Singapore",
    "Melbourne", "Nairobi"
};
static const char *const title[] = {
    "Software Engineer", "Account Executive", "Product Manager",
    "Financial Analyst", "Support Specialist", "Counsel",
    "Site Reliability Engineer", "Research Scientist"
};

#define PICK(a, i) ((a)[(i) % (sizeof(a) / sizeof((a)[0]))])

/* A cheap integer mix, so neighbouring users get unrelated names. */
static unsigned long
mix(unsigned long x)
{
    x ^= x >> 17;
    x *= 0xed5ad4bbUL;
    x ^= x >> 11;
    x *= 0xac4c1b51UL;
    x ^= x >> 15;
    return x & 0xffffffffUL;
}

static void
core(unsigned long i, unsigned long h)
{
    const char *g = PICK(given, h), *f = PICK(family, h >> 5);

    printf("{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\","
           "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"],"
           "\"externalId\":\"00u%013lx\","
           "\"userName\":\"user%07lu@example.com\","
           "\"name\":{\"formatted\":\"%s %s\",\"familyName\":\"%s\","
           "\"givenName\":\"%s\",\"middleName\":\"Q\"},"
           "\"displayName\":\"%s %s\",\"nickName\":\"%s\",",
           h * 2654435761UL + i, i, g, f, f, g, g, f, g);
    printf("\"title\":\"%s\",\"userType\":\"Employee\","
           "\"preferredLanguage\":\"en-US\",\"locale\":\"en-US\","
           "\"timezone\":\"Europe/Lisbon\",\"active\":true,",
           PICK(title, h >> 9));
}

static void
contact(unsigned long i, unsigned long h)
{
    const char *c = PICK(city, h >> 13);

    printf("\"emails\":[{\"value\":\"user%07lu@example.com\","
           "\"type\":\"work\",\"primary\":true},"
           "{\"value\":\"u%07lu@home.example.org\",\"type\":\"home\"}],",
           i, i);
    printf("\"phoneNumbers\":[{\"value\":\"+1-555-%03lu-%04lu\","
           "\"type\":\"work\",\"primary\":true},"
           "{\"value\":\"+1-555-%03lu-%04lu\",\"type\":\"mobile\"}],",
           h % 1000, i % 10000, (h >> 10) % 1000, (i * 7) % 10000);
    printf("\"addresses\":[{\"type\":\"work\",\"streetAddress\":"
           "\"%lu Market Street, Floor %lu\",\"locality\":\"%s\","
           "\"region\":\"Central\",\"postalCode\":\"%05lu\","
           "\"country\":\"PT\",\"formatted\":\"%lu Market Street, %s\","
           "\"primary\":true}],",
           h % 900 + 100, h % 40, c, h % 100000, h % 900 + 100, c);
}

static void
enterprise(unsigned long i, unsigned long h)
{
    unsigned long boss = i > 0 ? mix(i) % i : 0;

    printf("\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":"
           "{\"employeeNumber\":\"E%07lu\",\"costCenter\":\"CC-%04lu\","
           "\"organization\":\"Example Corp\",\"division\":\"%s Division\","
           "\"department\":\"%s\",\"manager\":{\"value\":\"00u%013lx\","
           "\"displayName\":\"%s %s\"}}}\n",
           i, h % 10000, PICK(dept, h >> 3), PICK(dept, h >> 3),
           mix(boss) * 2654435761UL + boss, PICK(given, mix(boss)),
           PICK(family, mix(boss) >> 5));
}

int
main(int argc, char **argv)
{
    unsigned long n, first, i, h;

    if (argc < 2) {
        fprintf(stderr, "usage: gen COUNT [FIRST]\n");
        return 2;
    }
    n = strtoul(argv[1], NULL, 10);
    first = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;

    for (i = first; i < first + n; i++) {
        h = mix(i);
        core(i, h);
        contact(i, h);
        enterprise(i, h);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

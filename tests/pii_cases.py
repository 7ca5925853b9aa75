"""A labelled PII set for measuring redaction recall: caller sentences in the shapes speech-to-text produces, each
with the exact spans a reviewer would redact, plus sentences with no PII (numbers that must survive).

Written by hand in many shapes, including ones the redactor is known to miss (kept, so the recall figure is
honest). `CASES` is (text, [(span text, kind), ...]); `CLEAN` sentences must come back unchanged.
"""

from __future__ import annotations

EMAILS = ["ana@summitair.example", "ben.okafor@harborlights.co.uk", "chloe+trial@northwind-legal.com",
          "dev_99@orbitlabs.io", "elena.garcia@bluebird-realty.net", "FARID@ACMEROOFING.COM", "grace@crescent.dental",
          "hiro.tanaka@vertex-logistics.jp", "ines@lumen.studio", "jon.smith@granite-insurance.example",
          "kemi@mosaicevents.org", "luis.m@quill-accounting.es", "procurement@redwood-staffing.com",
          "a.b.c@tidewater.marine", "sales-team@cedarpg.com", "o'neil@pineoak.law"]
SPOKEN_EMAILS = ["ana at summitair dot example", "ben dot okafor at harbor lights dot com",
                 "chloe at northwind dot co dot uk", "dev underscore ninety at orbit labs dot io",
                 "kemi at mosaicevents dot org", "luis at quill dot es",
                 "jon at granite insurance dot com", "grace dot lee at crescent dot dental"]
PHONES = ["555-123-4567", "(555) 987-6543", "+1 415 555 0132", "+44 20 7946 0958", "020 7946 0958",
          "415.555.0199", "+49 30 901820", "+33 1 42 68 53 00", "212-555-0147", "(312) 555-0188", "+61 2 9374 4000",
          "0161 496 0000", "+1-646-555-0100", "555 0175", "1-800-555-0199", "+353 1 555 0123", "07700 900123",
          "(646) 555 0111", "+81 3-5555-0123"]
SPOKEN_PHONES = ["five five five one two three four five six seven", "four one five, five five five, oh one three two",
                 "double five five, one two three, four four double oh", "oh two oh, seven nine four six, oh nine five eight",
                 "six four six five five five oh one oh oh", "three one two, uh, five five five, oh one eight eight",
                 "nine one seven 555 0123", "eight hundred five five five one two one two",
                "two one two five five five zero one four seven", "oh seven seven oh oh, nine oh oh, one two three",
                "four one five ... five five five ... oh one nine nine", "six one seven, uh, five five five, oh one two two",
                 "triple five, two four six, eight one three five", "seven oh three, five five five, zero one four nine"]
CARDS = ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005", "6011 1111 1111 1117", "4012888888881881",
         "3530 1113 3330 0000", "5105 1051 0510 5100", "4242-4242-4242-4242", "3714 496353 98431"]
SPOKEN_CARDS = ["four one one one, one one one one, one one one one, one one one one",
                "five five oh oh, oh oh oh oh, oh oh oh oh, oh oh oh four",
                "four oh one two eight eight eight eight eight eight eight eight one eight eight one"]
IBANS = ["GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00", "FR14 2004 1010 0505 0001 3M02 606",
         "NL91ABNA0417164300", "ES91 2100 0418 4502 0005 1332", "IT60 X054 2811 1010 0000 0123 456",
         "BE68 5390 0754 7034", "CH93 0076 2011 6238 5295 7",
         "GB33BUKB20201555555555", "IE29 AIBK 9311 5212 3456 78"]
ADDRESSES = ["1600 Pennsylvania Avenue", "221b Baker Street", "42 Wallaby Way", "10 Downing Street",
             "350 Fifth Ave", "1 Infinite Loop", "77 Massachusetts Avenue", "12 Elm St, Apt 4B",
             "twelve Grimmauld Place", "4059 Mt Lee Drive", "500 North Michigan Blvd, Suite 300",
             "seven Oak Lane", "88 Colin P Kelly Jr Street", "3 Abbey Road",
             "1209 Orange St", "twenty two Acacia Avenue", "9 Rue de Rivoli", "400 Broad Street, Unit 12",
             "742 Evergreen Terrace", "31 Spooner St"]

TEMPLATES = {
    "EMAIL": ["You can email me at {}.", "My email is {}, that's the work one.", "Send the proposal to {} please.",
              "It's {} if you need it"],
    "PHONE": ["Call me back on {}.", "My cell is {} if that helps.", "The office number is {}, ask for me.",
              "Yeah it's {}"],
    "CARD": ["Can I just pay now? The card is {}.", "Card number {} and the expiry is next June.",
             "Use {} for the deposit."],
    "IBAN": ["Our IBAN is {} for the refund.", "Wire it to {} please.", "The account is {}."],
    "ADDRESS": ["We're at {} in town.", "Ship the contracts to {}, reception desk.", "The office is {}, second floor.",
                "Our HQ moved to {} last year."],
}

CLEAN = [
    "We're about forty people across two offices.", "Our budget is around 1,500 a month.",
    "We want this live by Friday the 20th.", "There's twenty five of us, maybe thirty by next quarter.",
    "We signed 1,250,000 in contracts last year.", "We're on version 3.2.1 of the app.",
    "The meeting is on 2026-11-20 at 10:00.", "I'd say one or two admins and fifty users.",
    "We send about 200 proposals a month.", "Right now we're on DocuSign, but it's getting expensive.",
    "We are at a dot com company, basically.", "Look at order 12345 from last week.",
    "It costs 49.99 per seat.", "We grew from 8 to 12 people in a year.",
    "We have five people on the way in.", "Maybe two or three of us on the sales team.",
    "I think 20 Salesforce users, 5 admins.", "Call volume is about 3000 a week, 12000 a month.",
    "We close around 30 deals a quarter.", "Oh, one more thing: it's for nine offices.",
]


def _cases() -> list[tuple[str, list[tuple[str, str]]]]:
    kinds = [("EMAIL", EMAILS + SPOKEN_EMAILS), ("PHONE", PHONES + SPOKEN_PHONES), ("CARD", CARDS + SPOKEN_CARDS),
             ("IBAN", IBANS), ("ADDRESS", ADDRESSES)]
    cases = []
    for kind, values in kinds:
        for i, value in enumerate(values):
            templates = TEMPLATES[kind]
            cases.append((templates[i % len(templates)].format(value), [(value, kind)]))
    # Several kinds in one turn, as callers give contact details in one breath.
    cases.append((f"Sure, it's {EMAILS[0]} or {PHONES[0]}, and we're at {ADDRESSES[2]}.",
                  [(EMAILS[0], "EMAIL"), (PHONES[0], "PHONE"), (ADDRESSES[2], "ADDRESS")]))
    cases.append((f"Email {SPOKEN_EMAILS[4]}, phone {SPOKEN_PHONES[0]}.",
                  [(SPOKEN_EMAILS[4], "EMAIL"), (SPOKEN_PHONES[0], "PHONE")]))
    return cases


CASES = _cases()
SPAN_COUNT = sum(len(spans) for _, spans in CASES)

"""Behaviours of the signal rules, one per test, written as a caller would say them (speech-to-text style)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.numbers import NumberParser, mask_phone_numbers
from agent.signals import (DEFAULT_VOCABULARY, Signals, analyse, clear_caches, extract_signals, live_signals,
                           load_vocabulary, not_a_fit_reason)
from agent.signals.prefilter import Phrases, pattern_keys, text_keys


def signals(*user: str, **kwargs) -> Signals:
    return extract_signals(list(user), **kwargs)


@pytest.mark.parametrize("text, size", [
    ("There's eleven of us in the office.", 11),
    ("We're about twenty-five people.", 25),
    ("We're about twenty five people.", 25),
    ("A dozen or so.", 12),
    ("We've got a couple hundred agents across the state.", 200),
    ("There's a couple of us, two consultants.", 2),
    ("We're two hundred and fifty people.", 250),
    ("We're a team of 40.", 40),
    ("We're a 20-person company.", 20),
])
def test_number_words_and_digits_give_team_size(text, size):
    assert signals(text).team_size == size


@pytest.mark.parametrize("text, size", [
    ("Maybe eight or nine staff.", 9),
    ("It's three or four of us depending on the season.", 4),
    ("Somewhere between 10 and 20 users.", 20),
])
def test_range_gives_its_upper_end(text, size):
    assert signals(text).team_size == size


def test_later_correction_wins():
    assert signals("We're, uh, twelve people. Sorry, no, fifteen now, we just brought on three guys.").team_size == 15


def test_later_correction_wins_across_turns():
    assert signals("It's a team of six.", "Oh wait, seven, I forgot Dana.").team_size == 7


def test_narrower_user_count_wins_over_company_headcount():
    said = "The company is like three hundred people total, but it'd be the sales team using it, so forty reps."
    assert signals(said).team_size == 40
    assert signals("We have two hundred and fifty employees but only thirty would use it.").team_size == 30


def test_people_who_would_not_use_it_do_not_count():
    said = ("We have like thirty instructors, but they wouldn't touch it. "
            "It'd really just be three people, our front desk leads.")
    assert signals(said).team_size == 3


def test_role_breakdown_sums_to_the_team():
    assert signals("It's six of us. Two attorneys and four staff.").team_size == 6


def test_solo_caller_is_a_team_of_one():
    assert signals("I'm a freelance designer, it's just me, and I send proposals.").team_size == 1


def test_me_and_one_colleague_is_a_team_of_two():
    assert signals("It's just me and my manager using it.").team_size == 2


def test_a_role_breakdown_does_not_add_to_a_headcount():
    assert signals("We've got about 500 employees and 60 reps would be using it.").team_size == 60


@pytest.mark.parametrize("text", [
    "We've been in business thirty years.",
    "At forty-nine a seat that's a lot.",
    "Every January we send out about two hundred engagement letters.",
    "We can get you there in ninety days.",
    "Thursday at four.",
    "We did about nine hundred transactions last year.",
    "Like fifty a week, maybe more in summer.",
    "We started in 2019.",
    "We've got about eight hundred active members.",
    "We've got about a hundred and fifty people coming to the wedding.",
    "I need to send it to like thirty classmates.",
    "It's five five five, oh one nine two.",
])
def test_years_prices_counts_durations_and_non_users_are_not_team_sizes(text):
    assert signals(text).team_size is None


@pytest.mark.parametrize("text, name", [
    ("Our quoting process lives in sales force.", "salesforce"),
    ("Yeah, hub spot. The free one.", "hubspot"),
    ("We use pipe drive for deals.", "pipedrive"),
    ("We're on Microsoft Dynamics 365 for CRM.", "dynamics"),
    ("Everything is in G Drive.", "google_drive"),
    ("Zoho Books and Zoho CRM.", "zoho"),
    ("Quick Books Online for the books.", "quickbooks"),
    ("Our IT guy asked, do you have webhooks?", "api"),
    ("We'd hit it through the REST API.", "api"),
    ("We'd like to embed it in our app.", "api"),
])
def test_stt_spellings_and_aliases_map_to_integrations(text, name):
    assert signals(text).integrations == [name]


def test_stt_spelling_of_a_competitor():
    assert signals("We decided to go with docu sign.").competitors == ["docusign"]


def test_dropbox_sign_and_hellosign_are_competitors_not_the_dropbox_integration():
    result = signals("We're on Dropbox Sign right now. Sorry, HelloSign. And our files are in Box.")
    assert (result.competitors, result.integrations) == (["dropbox_sign"], [])


def test_plain_dropbox_is_the_integration():
    result = signals("Everything's in Dropbox. Client folders, all of it.")
    assert (result.integrations, result.competitors) == (["dropbox"], [])


@pytest.mark.parametrize("text", [
    "We don't use Salesforce or anything like that.",
    "We dropped HubSpot last year, so please don't tell me it only works with HubSpot.",
    "We moved off Pipedrive in March.",
])
def test_negated_or_abandoned_integrations_do_not_count(text):
    assert signals(text).integrations == []


def test_switching_from_one_tool_to_another_keeps_the_new_one():
    assert signals("We switched from HubSpot to Salesforce last year.").integrations == ["salesforce"]


def test_never_used_competitor_is_dropped_but_a_past_one_counts():
    said = "We've never used Proposify. For contracts we used DocuSign for a while, but we let it lapse."
    assert signals(said).competitors == ["docusign"]


def test_answering_no_to_a_named_tool_denies_it():
    assert signals("DocuSign? No, never.").competitors == []


def test_assistant_words_are_never_evidence():
    result = extract_signals(
        ["No, no. We don't have a CRM. We just email PDFs back and forth."],
        assistant_texts=["Are you using a CRM like Salesforce, or a signing tool like DocuSign? How much is your budget?"],
    )
    assert (result.integrations, result.competitors, result.budget_mentioned) == ([], [], False)


@pytest.mark.parametrize("text", [
    "I need this working by Friday.", "I kinda need this live tomorrow.", "It's due Friday.", "ASAP if possible.",
    "It's pretty urgent, honestly.", "We want to switch this week.", "Our deadline is tomorrow.",
])
def test_near_deadlines_are_high_urgency(text):
    assert signals(text).urgency == "high"


@pytest.mark.parametrize("text", [
    "No, it's not urgent.", "No rush on our end.", "We're planning for next quarter.", "Nah, we're not in a hurry.",
    "It's not a crazy rush.", "I'm getting married in June.",
])
def test_relaxed_or_no_timeline_is_normal_urgency(text):
    assert signals(text).urgency == "normal"


def test_later_urgency_statement_wins():
    assert signals("No rush at first.", "Actually our contract ends, so we need it ASAP.").urgency == "high"


@pytest.mark.parametrize("text, expected", [
    ("I'm one of the founders, so it's basically my call.", True),
    ("I make the decisions here.", True),
    ("I own a small law practice.", True),
    ("Obviously I'm the only one deciding.", True),
    ("My manager signs off on all software, not me.", False),
    ("Anything we buy has to go through the board anyway.", False),
    ("I'm not the one who decides on software. The owner, Marco, decides on anything we buy.", False),
    ("Procurement has to approve it.", False),
    ("It's not my call.", False),
    ("I manage the office.", None),
])
def test_decision_maker_true_false_or_unknown(text, expected):
    assert signals(text).decision_maker is expected


@pytest.mark.parametrize("text, expected", [
    ("How much is it per seat?", True),
    ("Is there a free version?", True),
    ("Our budget's pretty tight.", True),
    ("We can spend up to like two hundred a month, tops.", True),
    ("Can the client pick between two or three package options?", False),
    ("I signed up for the free trial.", False),
    ("Engagement letters and fee quotes for new clients.", False),
])
def test_budget_mentioned(text, expected):
    assert signals(text).budget_mentioned is expected


@pytest.mark.parametrize("text, use_cases", [
    ("Engagement letters, which are basically our client contracts.", ["contracts"]),
    ("Some of our partner agreements.", ["contracts"]),
    ("We do rental leases.", ["contracts"]),
    ("Liability waivers, every new member fills one in.", ["forms"]),
    ("Quotes for installs, and take payment.", ["payments", "quotes"]),
    ("I want them to actually sign it.", ["esignature"]),
    ("I signed up for the free trial.", []),
    ("Our Adobe Sign subscription runs out.", []),
    ("Our HelloSign contract runs through the end of the year.", []),
    ("After the quote's accepted, the MSA and the order form go out.", ["contracts", "quotes"]),
    ("Can you sign my cast?", []),
    ("We don't need payments, just signatures.", ["esignature"]),
])
def test_use_cases(text, use_cases):
    assert signals(text).use_cases == use_cases


def test_meeting_booked_from_a_successful_booking_tool_call():
    assert extract_signals(["Thursday works."], tool_names=["book_sales_meeting"]).meeting_booked is True


def test_tool_calls_without_booking_mean_no_meeting_even_if_the_assistant_says_so():
    result = extract_signals(["Thursday."], tool_names=["unleash_search_knowledge"],
                             assistant_texts=["You're booked for Thursday at 11 AM."])
    assert result.meeting_booked is False


def test_without_tool_calls_the_assistant_confirmation_is_the_meeting_evidence():
    booked = extract_signals(["Thursday at eleven."], assistant_texts=["You're all set for Thursday at 11 AM Eastern."])
    cancelled = extract_signals(["Cancel it."], assistant_texts=["Done. Your trial is cancelled."])
    assert (booked.meeting_booked, cancelled.meeting_booked) == (True, False)


def test_lists_are_sorted_and_to_dict_has_every_field():
    result = signals("We use Zapier, Slack and Google Drive.", "We looked at Qwilr and Conga.")
    assert result.integrations == ["google_drive", "slack", "zapier"]
    assert result.competitors == ["conga", "qwilr"]
    assert set(result.to_dict()) == {"team_size", "integrations", "competitors", "urgency", "use_cases",
                                     "decision_maker", "budget_mentioned", "meeting_booked", "not_a_fit"}


def test_signals_rebuilt_from_warehouse_rows_accept_null_lists():
    assert Signals(integrations=None, competitors=["qwilr", "conga"]).to_dict()["competitors"] == ["conga", "qwilr"]


def test_empty_call_has_no_signals():
    assert signals().to_dict() == Signals().to_dict()


def test_live_signals_reads_one_utterance_and_omits_meeting_booked():
    live = live_signals("We're about twenty people on HubSpot and need it by Friday.")
    assert "meeting_booked" not in live
    assert (live["team_size"], live["integrations"], live["urgency"]) == (20, ["hubspot"], "high")


def test_vocabulary_is_cached_per_file():
    assert load_vocabulary() is load_vocabulary(DEFAULT_VOCABULARY)


def test_a_team_can_bring_its_own_vocabulary(tmp_path: Path):
    custom = tmp_path / "vocabulary.yaml"
    text = DEFAULT_VOCABULARY.read_text(encoding="utf-8")
    custom.write_text(text.replace('  stripe: ["stripe"]', '  stripe: ["stripe", "square"]'), encoding="utf-8")
    said = ["We take cards through Square."]
    assert extract_signals(said, vocab=load_vocabulary(custom)).integrations == ["stripe"]
    assert extract_signals(said).integrations == []


# --- Behaviours added against the regression calls (tests/data/regression_calls.jsonl) ----------------------------


@pytest.mark.parametrize("text, size", [
    ("It's me and three employees.", 4),
    ("It's my assistant and I, and we send a lot of contracts.", 2),
    ("We've got twenty recruiters, well, twenty-two as of Monday.", 22),
    ("We're a team of, hmm, six, well, seven with me.", 7),
    ("We have about ninety staff, but the intake coordinators, six of them, would use it.", 6),
])
def test_more_ways_of_stating_a_team(text, size):
    assert signals(text).team_size == size


@pytest.mark.parametrize("text", [
    "Can I leave my number? It's eight hundred, five five five, zero one four two.",
    "My number is six one seven, five five five, zero one nine two.",
])
def test_spoken_phone_numbers_are_not_team_sizes(text):
    assert signals(text).team_size is None


def test_a_bare_number_is_not_a_team_when_the_caller_is_not_a_business():
    assert signals("Maybe sixty? It's not a business thing, it's just for my thesis.").team_size is None
    assert signals("Seven, counting the estimators.").team_size == 7


@pytest.mark.parametrize("text, expected", [
    ("So I own a roofing company, and I'm tired of doing quotes in Word.", True),
    ("My wife and I own a little event barn.", True),
    ("I'm the broker-owner at Lakeshore Realty.", True),
    ("I'm a partner, I'll make the call on it.", True),
    ("It's my brokerage.", True),
    ("I'm the managing director at Alder Consulting.", True),
    ("My boss, the agency principal, signs off on anything we buy.", False),
    ("Procurement handles all the buying.", False),
    ("Procurement will handle the contract with you.", False),
    ("My boss owns the company, he'll make the decision.", False),
    ("I'm a partner manager at a bank.", None),
])
def test_more_decision_maker_phrasings(text, expected):
    assert signals(text).decision_maker is expected


@pytest.mark.parametrize("text, urgency", [
    ("We want to decide by the end of next week.", "high"),
    ("We need this going before next week.", "high"),
    ("We'd like this in place by the end of the month.", "high"),
    ("Our renewal is the end of the month, so we kinda need to decide fast.", "high"),
    ("We're looking at rolling out next quarter, so no fire drill.", "normal"),
    ("We're not in a hurry, sometime in the next six months.", "normal"),
])
def test_near_deadlines_and_relaxed_timelines(text, urgency):
    assert signals(text).urgency == urgency


@pytest.mark.parametrize("text, expected", [
    ("What's the cheapest plan you've got?", True),
    ("Can I do it for free?", True),
    ("The board approves anything over five hundred dollars, so it has to stay under that.", True),
    ("I'm trying to keep it under fifty bucks a month.", True),
    ("We're paying forty dollars a user and we can't go higher than that.", True),
    ("Just make sure I don't get charged again next month.", False),
])
def test_more_budget_phrasings(text, expected):
    assert signals(text).budget_mentioned is expected


@pytest.mark.parametrize("text, names", [
    ("We were on HubSpot, well, we migrated to Salesforce in March.", ["salesforce"]),
    ("We're not using Zapier anymore, it kept breaking.", []),
    ("We keep contracts in Dropbox, and we sign them with Dropbox Sign.", ["dropbox"]),
])
def test_past_and_current_tools(text, names):
    assert signals(text).integrations == names


@pytest.mark.parametrize("text, use_cases", [
    ("Honestly the renewal quote they sent was a lot.", []),
    ("Procurement will handle the contract with you.", []),
    ("I'm looking to get a sign made for my storefront, like a lit-up neon sign.", []),
    ("We use QuickBooks for invoicing.", []),
    ("We use Dynamics 365 for client intake.", []),
    ("I need clients to sign my contract and pay the retainer.", ["contracts", "esignature", "payments"]),
    ("I'd want customers to pay right from the quote.", ["payments", "quotes"]),
])
def test_use_cases_need_the_callers_own_documents(text, use_cases):
    assert signals(text).use_cases == use_cases


@pytest.mark.parametrize("text, reason", [
    ("I'm a grad student and I'm running a study for my thesis.", "student project"),
    ("I'm planning my daughter's birthday party.", "personal one-off"),
    ("I'm subletting my room and need my subletter to sign. It's just this one time.", "personal one-off"),
    ("I'm looking to get a neon sign for my storefront.", "wrong product"),
    ("This is Brad from GrowthRocket Media. We help software companies like yours triple their leads.", "spam"),
    ("Press one now to claim your free audit.", "spam"),
    ("We're a dental practice with four front-desk staff.", None),
])
def test_not_a_fit_reasons(text, reason):
    assert not_a_fit_reason([text]) == reason


def test_live_signals_match_the_batch_rules_on_one_utterance():
    said = "We're like forty-ish reps on sales force and we need it by the end of the month. How much is it?"
    expected = signals(said).to_dict()
    del expected["meeting_booked"]
    assert live_signals(said) == expected == {**expected, "team_size": 40, "integrations": ["salesforce"],
                                              "urgency": "high", "budget_mentioned": True}


def test_each_distinct_utterance_is_analysed_once():
    clear_caches()
    first = analyse(load_vocabulary(), "We're twelve people on HubSpot.")
    assert analyse(load_vocabulary(), "We're twelve people on HubSpot.") is first
    assert analyse.cache_info().hits >= 1


# --- The keyword prefilter never changes an answer ----------------------------------------------------------------


@pytest.mark.parametrize("pattern, keys", [
    (r"docu[\s-]*sign", {"docu"}),  # "docusign" and "docu sign" both start with "docu"
    (r"(my|our) (boss|manager) asked me", {"aske", "mana"}),  # the most telling word of each form
    (r"i'm[\s-]+the[\s-]+decision[\s-]+maker", {"deci"}),
    (r"budgets?", {"budg"}),
    (r"apis?", {"api", "apis"}),  # short words are keys whole
    (r"(i|we) (\w+ )?own", {"i", "we", "own"}),  # after "\w+" a word may be the end of another one
])
def test_pattern_keys_are_words_every_match_contains(pattern, keys):
    assert pattern_keys(pattern) == keys


def test_patterns_without_a_sure_word_run_unfiltered():
    assert pattern_keys(r"\w+ agency") is None
    assert pattern_keys(r"a\w+") is None


def test_prefilter_gives_the_same_answers_as_running_every_pattern(monkeypatch):
    sentences = [
        "Yeah, hub spot. The free one.", "We'd like to embed it in our app.", "I'm the one who decides.",
        "It's not my call, my boss, the owner, decides.", "Our deadline's tomorrow, it's time-sensitive.",
        "We don't need payments, just signatures.", "Can the client pick between two or three package options?",
        "It's up to me.", "We switched from docu-sign to hello sign.", "A.S.A.P. please, it's urgent.",
        "The contract's up, they'll decide by Friday.", "I signed up for the free trial.",
    ]
    vocab = load_vocabulary()
    gated = [analyse.__wrapped__(vocab, s) for s in sentences]
    monkeypatch.setattr(Phrases, "active", lambda self, keys: list(range(len(self.patterns))))
    assert [analyse.__wrapped__(vocab, s) for s in sentences] == gated


def test_text_keys_cut_words_to_four_letters():
    assert text_keys("it's the 'sign company', ok") >= {"it's", "it", "the", "sign", "comp", "ok"}


# --- Number words --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, digits", [
    ("a couple hundred agents", "200 agents"),
    ("two hundred and fifty people", "250 people"),
    ("twenty-five techs", "25 techs"),
    ("half a dozen folks", "6 folks"),
    ("two attorneys and four staff", "2 attorneys and 4 staff"),
    ("five five five", "5 5 5"),
    ("nothing numeric here", "nothing numeric here"),
])
def test_number_words_become_digits(text, digits):
    assert NumberParser(load_vocabulary().number_words).digitize(text) == digits


def test_phone_numbers_are_masked_but_counts_and_ranges_are_not():
    assert "5" not in mask_phone_numbers("it's 800, 5 5 5, 0 1 4 2.")
    assert mask_phone_numbers("between 10 and 20 users, 5-10 seats") == "between 10 and 20 users, 5-10 seats"

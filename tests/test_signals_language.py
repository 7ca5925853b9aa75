"""Rules that read the structure of what callers say, not one call's words. Every sentence here was made up for
the general case (a new role noun, a new family, a new document name), none is copied from the labelled sets."""

from __future__ import annotations

import pytest

from agent.signals import Signals, analyse, extract_signals, load_vocabulary, not_a_fit_reason
from agent.signals.prefilter import Phrases


def signals(*user: str, **kwargs) -> Signals:
    return extract_signals(list(user), **kwargs)


# --- team size: role nouns, families, "and me", narrower groups ---------------------------------------------

@pytest.mark.parametrize("text, size", [
    ("We've got five hygienists and, um, three dentists.", 8),
    ("Uh, it's two physios and a couple of front desk people.", 4),
    ("Probably the six project architects.", 6),
    ("We have nine receptionists across the three clinics.", 9),
    ("There's four counsellors and two social workers.", 6),
    ("Two attorneys and, uh, four legal assistants.", 6),
])
def test_counts_of_people_by_their_role_give_the_team(text, size):
    assert signals(text).team_size == size


@pytest.mark.parametrize("text, size", [
    ("Five estimators and me.", 6),
    ("Eleven drivers, plus me.", 12),
    ("Twenty techs in the field, me in the office.", 21),
])
def test_a_count_and_the_caller_adds_one(text, size):
    assert signals(text).team_size == size


@pytest.mark.parametrize("text, size", [
    ("It's a family thing, me, my husband and our three daughters.", 5),
    ("Me, my brother and my dad run it.", 3),
    ("Just me and my bookkeeper.", 2),
    ("Me and my office manager.", 2),
])
def test_family_and_two_person_teams(text, size):
    assert signals(text).team_size == size


@pytest.mark.parametrize("text", ["Nope, only me.", "Just me, honestly.", "Only myself for now."])
def test_solo_short_answers(text):
    assert signals(text).team_size == 1


def test_me_and_my_team_is_not_a_team_of_two():
    assert signals("Me and my team.").team_size is None


@pytest.mark.parametrize("text, size", [
    ("There's, uh, nine or ten of them.", 10),
    ("Somewhere between twelve and fifteen tutors.", 15),
    ("Oh, roughly a dozen.", 12),
    ("Um, about sixty.", 60),
])
def test_ranges_and_approximations(text, size):
    assert signals(text).team_size == size


@pytest.mark.parametrize("user, size", [
    (["We run eight clinics, maybe two hundred staff.", "Scheduling is five people, that's who'd use it."], 5),
    (["Thirty people, but only the office managers would use this, so that's three office managers."], 3),
    (["About a hundred volunteers, but only the coordinators would send stuff, that's like seven people."], 7),
])
def test_the_group_that_would_use_it_wins_over_the_organisation(user, size):
    assert signals(*user).team_size == size


@pytest.mark.parametrize("text", ["We manage sixty buildings.", "We've got four locations.",
                                  "We close about forty deals a month.", "About two hundred tenants pay rent online."])
def test_sites_buildings_and_customers_are_not_the_team(text):
    assert signals(text).team_size is None


# --- price words that name a document -----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "We email every homeowner a price quote and they sign it.",
    "Our pricing sheet goes out with each proposal.",
    "We send a rate card and an ad agreement.",
    "The cost estimate goes to the client first.",
    "Our price list is attached to every order.",
])
def test_price_words_in_a_document_name_are_not_budget(text):
    assert signals(text).budget_mentioned is False


@pytest.mark.parametrize("text", [
    "Can you send me a price quote?",
    "What's your price list look like?",
    "We send cost estimates, and what's it cost per seat for us?",
    "We'd want to keep it under two hundred a month.",
])
def test_budget_talk_next_to_document_names_still_counts(text):
    assert signals(text).budget_mentioned is True


def test_a_price_quote_the_caller_sends_is_a_quote_use_case():
    assert "quotes" in signals("We send a price quote to every customer.").use_cases
    assert "quotes" not in signals("Your sales guy sent me a price quote for us last week.").use_cases


# --- use cases from what the business handles -----------------------------------------------------------------

@pytest.mark.parametrize("text, use_case", [
    ("We want rental applications online.", "forms"),
    ("Parents do the enrollment paperwork every August.", "forms"),
    ("Patients fill out their intake before the visit.", "forms"),
    ("Members pay their dues online.", "payments"),
    ("We'd like to collect rent through it.", "payments"),
    ("We send bids to general contractors.", "quotes"),
    ("Mostly NDAs and engagement letters.", "contracts"),
])
def test_use_cases_from_the_objects_a_business_handles(text, use_case):
    assert use_case in signals(text).use_cases


def test_client_intake_in_a_crm_is_not_a_form():
    assert "forms" not in signals("We use Zoho for client intake.").use_cases


# --- tools split by speech-to-text and tools the caller left -----------------------------------------------

@pytest.mark.parametrize("text, names", [
    ("We use zap here to connect stuff.", ["zapier"]),
    ("We had pipe drive for a while, but we dropped it.", []),
    ("Drop box? Not anymore.", []),
    ("We quit using hub spot and came over from zoho too.", []),
    ("We outgrew quick books, now it's sales force.", ["salesforce"]),
    ("We gave up on slack.", []),
])
def test_split_and_abandoned_tools(text, names):
    assert signals(text).integrations == names


def test_a_past_competitor_still_counts_after_a_later_remark():
    assert signals("We had DocuSign but we dropped it.").competitors == ["docusign"]


# --- decision maker: short answers beside the agent's question ---------------------------------------------

@pytest.mark.parametrize("question, answer, expected", [
    ("Who makes the final decision on software?", "Me.", True),
    ("Are you the one who'd sign off on this?", "Yep, that'd be me.", True),
    ("Who decides on purchases there?", "I do.", True),
    ("Who would approve this?", "Oh, the partners do, I'm just the office manager.", False),
    ("Will you be the decision maker?", "No, that'd be my director.", False),
    ("Who decides?", "My wife and I do.", True),
    ("How many people are on the team?", "Me.", None),  # not a decision question: no evidence
])
def test_short_answers_to_the_decision_question(question, answer, expected):
    turns = [{"role": "assistant", "text": question}, {"role": "user", "text": answer}]
    assert extract_signals([], turns=turns).decision_maker is expected


def test_short_answers_need_the_turn_order_and_are_unchanged_without_it():
    assert extract_signals(["Me."], assistant_texts=["Who makes the decision?"]).decision_maker is None


def test_turns_as_pairs_and_alongside_separate_lists():
    turns = [("assistant", "Are you the decision maker?"), ("user", "Yes.")]
    assert extract_signals(["Yes."], (), ["Are you the decision maker?"], turns=turns).decision_maker is True


def test_the_callers_own_statement_wins_over_the_short_answer_reading():
    turns = [("assistant", "Who decides?"), ("user", "Yeah, so my boss decides.")]
    assert extract_signals([], turns=turns).decision_maker is False


def test_agent_words_alone_are_never_decision_evidence():
    turns = [("assistant", "So you're the owner and you decide, right?"), ("assistant", "Great.")]
    assert extract_signals([], turns=turns).decision_maker is None


@pytest.mark.parametrize("text, expected", [
    ("That's my call.", True),
    ("I'm the practice owner.", True),
    ("I'm just collecting information for the owners.", False),
    ("I'm the product owner on the app team.", None),
])
def test_decision_phrases_without_context(text, expected):
    assert signals(text).decision_maker is expected


# --- not a lead, said in plain words --------------------------------------------------------------------------

@pytest.mark.parametrize("text, reason", [
    ("We're shutting down the shop at the end of the month.", "business closing"),
    ("We're closing the practice for good, I need to wrap up the leases.", "business closing"),
    ("We're going out of business.", "business closing"),
    ("It's just personal, selling my boat.", "personal one-off"),
])
def test_plain_not_a_lead_reasons(text, reason):
    assert not_a_fit_reason([text]) == reason


@pytest.mark.parametrize("text", ["We close about thirty deals a month.", "We're closing more deals than ever.",
                                  "We're closing at five today."])
def test_closing_deals_is_not_closing_the_business(text):
    assert not_a_fit_reason([text]) is None


def test_urgent_care_is_a_business_not_urgency():
    assert signals("We run two urgent care clinics.").urgency == "normal"
    assert signals("We're an urgent care and we need this urgently.").urgency == "high"


# --- the prefilter still only skips patterns that cannot match ------------------------------------------------

def test_prefilter_equivalence_on_the_new_rules(monkeypatch):
    sentences = ["Four hygienists and two dentists.", "Me, my wife and our two boys.", "Our pricing sheet goes out.",
                 "We had pipe drive, but we dropped it.", "We're shutting down the shop.", "That's my call.",
                 "Parents do the enrollment paperwork.", "Nope, only me.", "Drop box? Not anymore."]
    vocab = load_vocabulary()
    gated = [analyse.__wrapped__(vocab, s) for s in sentences]
    monkeypatch.setattr(Phrases, "active", lambda self, keys: list(range(len(self.patterns))))
    assert [analyse.__wrapped__(vocab, s) for s in sentences] == gated


# --- "how many...?" answers: the question gives the people context ------------------------------------------

@pytest.mark.parametrize("question, answer, size", [
    ("How many people would use it?", "Seven movers, two in the office.", 9),
    ("And how many on your team?", "Oh, eighteen of them, give or take.", 18),
    ("Team size?", "We got like forty on the floor.", 40),
])
def test_counts_in_an_answer_to_how_many(question, answer, size):
    turns = [("assistant", question), ("user", answer)]
    assert extract_signals([], turns=turns).team_size == size


def test_how_many_answers_skip_times_prices_and_durations():
    turns = [("assistant", "How many people, and how soon?"), ("user", "Twelve guys, and we need it in two weeks.")]
    assert extract_signals([], turns=turns).team_size == 12
    turns = [("assistant", "How many people?"), ("user", "It runs about thirty bucks a month now, I think.")]
    assert extract_signals([], turns=turns).team_size is None


def test_how_many_things_is_not_a_people_question():
    turns = [("assistant", "How many buildings do you manage?"), ("user", "Oh we manage forty two of them, give or take.")]
    assert extract_signals([], turns=turns).team_size is None


def test_how_many_answers_need_the_turn_order():
    assert extract_signals(["Seven movers, two in the office."], assistant_texts=["How many people?"]).team_size is None


def test_role_breakdown_joined_by_a_comma_sums():
    assert signals("Fourteen teachers, two directors.").team_size == 16
    assert signals("Six nurses and a receptionist.").team_size == 7

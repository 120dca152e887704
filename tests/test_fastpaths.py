"""The validation fast paths must agree with the libraries they shortcut."""

from __future__ import annotations

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generators.fields import FieldError, _SIMPLE_EMAIL_RE, _email, _phone

ATOM = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=12)
LABEL = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
TLD = st.from_regex(r"[A-Za-z]{2,6}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(local=st.lists(ATOM, min_size=1, max_size=3), labels=st.lists(LABEL, min_size=1, max_size=3), tld=TLD)
@example(local=["0"], labels=["00--0"], tld="AA")  # a label RFC 5890 reserves: found by Hypothesis
@example(local=["contact"], labels=["xn--r-epa"], tld="fr")  # punycode
def test_simple_email_fast_path_matches_email_validator(local, labels, tld):
    address = ".".join(local) + "@" + ".".join(labels + [tld])
    assert _SIMPLE_EMAIL_RE.fullmatch(address)
    try:
        expected = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        # email-validator refuses a few special-use domains; so must we.
        with pytest.raises(FieldError):
            _email.__wrapped__(address)
        return
    assert _email.__wrapped__(address) == expected


@settings(max_examples=300, deadline=None)
@given(digits=st.from_regex(r"0[1-9][0-9]{8}", fullmatch=True), sep=st.sampled_from(["", " ", ".", "-"]))
def test_french_phone_fast_path_matches_phonenumbers(digits, sep):
    text = digits[:2] + "".join(sep + digits[i : i + 2] for i in range(2, 10, 2))
    number = phonenumbers.parse(text, "FR")
    if phonenumbers.is_valid_number(number) and number.country_code == 33:
        phone = _phone.__wrapped__(text)
        assert phone.e164 == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert phone.national == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    else:
        # Not a metropolitan number: overseas ones go through the full parser.
        try:
            phone = _phone.__wrapped__(text)
        except FieldError:
            return
        assert phone.e164.startswith("+")

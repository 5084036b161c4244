from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from convention.accounts.models import ParticipantCategory
from convention.accounts.services import MIN_PASSWORD_LENGTH
from convention.countries import country_choices
from convention.forms import LANGUAGE_CHOICES, FlaskForm, select_choices

CATEGORY_LABELS = {
    ParticipantCategory.GENERAL: _l("General / citizen"),
    ParticipantCategory.BUSINESS: _l("Business"),
    ParticipantCategory.GOVERNMENT: _l("Government / overseas city"),
    ParticipantCategory.INTERNATIONAL_ORGANISATION: _l("International organisation"),
    ParticipantCategory.PRESS: _l("Press"),
    ParticipantCategory.STUDENT: _l("Student"),
    ParticipantCategory.SPONSOR_STAFF: _l("Sponsor staff"),
    ParticipantCategory.EXHIBITOR: _l("Exhibitor"),
}


def new_password_field(label):
    return PasswordField(
        label,
        validators=[
            InputRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def email_field():
    return EmailField(
        _l("Email"),
        filters=[_strip],  # addresses are often pasted with a stray space
        validators=[
            InputRequired(),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )


class ProfileFields:
    name = StringField(
        _l("Full name"),
        validators=[InputRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    organization = StringField(
        _l("Organisation"), validators=[Length(max=200)], render_kw={"autocomplete": "organization"}
    )
    country = SelectField(_l("Country or region"), choices=country_choices, default="JP")
    category = SelectField(
        _l("Participant category"),
        choices=select_choices(CATEGORY_LABELS),
        default=ParticipantCategory.GENERAL.value,
    )
    language = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES, default="ja")


class SignUpForm(ProfileFields, FlaskForm):
    email = email_field()
    password = new_password_field(_l("Password"))


class ProfileForm(ProfileFields, FlaskForm):
    pass


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(
        _l("Password"), validators=[InputRequired()], render_kw={"autocomplete": "current-password"}
    )


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "current-password"},
    )

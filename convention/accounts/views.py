from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from convention.accounts import services
from convention.accounts.access import login_required
from convention.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignUpForm,
)
from convention.accounts.models import ParticipantCategory
from convention.extensions import db, limiter
from convention.forms import attach_error as _attach
from convention.htmx import redirect
from convention.web import form_status, safe_next

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/sign-up", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])  # each sign-up may mail a stranger's inbox
def sign_up():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            services.sign_up(
                services.SignUp(
                    email=form.email.data,
                    password=form.password.data,
                    name=form.name.data,
                    organization=form.organization.data or "",
                    country=form.country.data,
                    category=ParticipantCategory(form.category.data),
                    language=form.language.data,
                )
            )
        except services.AccountError as error:
            _attach(form, error)
        else:
            return render_template("accounts/check_email.html", email=form.email.data)
    return render_template("accounts/sign_up.html", form=form), form_status(form)


@bp.get("/verify/<token>")
def verify_email(token: str):
    user = services.verify_email(token)
    if user is None:
        return render_template("accounts/link_invalid.html"), 400
    flash(_("Your email address is confirmed. Welcome!"), "success")
    if not current_user.is_authenticated:
        login_user(user)
    return redirect(url_for("web.home"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("Email or password is not correct."))
        elif not user.email_verified:
            services.send_verification(user)
            db.session.commit()
            form.form_errors.append(
                _("Please confirm your email address first: we have sent you a new link.")
            )
        else:
            login_user(user)
            return redirect(safe_next(request.args.get("next"), url_for("web.home")))
    return render_template("accounts/login.html", form=form), form_status(form)


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("web.home"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("accounts/check_email.html", email=form.email.data, reset=True)
    return render_template("accounts/forgot_password.html", form=form), form_status(form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if services.user_from_token(token, "reset", services.RESET_MAX_AGE) is None:
        return render_template("accounts/link_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = services.reset_password(token, form.password.data)
        if user is None:
            abort(400)
        login_user(user)
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("web.home"))
    return render_template("accounts/reset_password.html", form=form), form_status(form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.organization = (form.organization.data or "").strip()
        current_user.country = form.country.data
        current_user.category = ParticipantCategory(form.category.data)
        current_user.language = form.language.data
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form), form_status(form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except services.AccountError as error:
            _attach(form, error)
        else:
            # The session id carries the new security stamp. Pass the user, not the proxy:
            # Flask-Login stores what it gets in g, and a proxy to itself recurses forever.
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form), form_status(form)

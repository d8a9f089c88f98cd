import logging

from flask import current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import identity, services, throttle
from app.auth.access import login_only, public
from app.auth.forms import LanguageForm, LoginForm
from app.auth.views import bp
from app.core import once
from app.core.i18n import SESSION_LANG
from app.core.security import safe_next
from app.extensions import csrf, db

log = logging.getLogger(__name__)


def _default_target() -> str:
    return url_for("reports.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@public
@once.exempt
@csrf.exempt  # the form checks its own token, so an expired one re-shows the form with a message
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data) or _default_target())
    if form.validate_on_submit():
        username = form.username.data.strip()
        attempt = throttle.begin(
            (current_app.config["LOGIN_LIMIT_PER_IP"], "login-ip:" + (request.remote_addr or "")),
            (current_app.config["LOGIN_LIMIT_PER_USERNAME"], "login-user:" + username[:64]),
        )
        if not attempt.allowed:
            log.warning("login throttled username=%r ip=%s", username[:64], request.remote_addr)
            return _throttled(form, attempt)
        user = services.authenticate(username, form.password.data)
        if user is not None:
            throttle.give_back(attempt)
            identity.start_session(user)
            services.record_login(user, request.remote_addr)
            db.session.commit()
            log.info("login ok user=%s ip=%s", user.username, request.remote_addr)
            return redirect(safe_next(form.next.data) or _default_target())
        log.warning("login failed username=%r ip=%s", username[:64], request.remote_addr)
        form.form_errors.append(_("The username or password is not correct."))
    elif request.method == "POST" and form.csrf_token.errors:
        form.form_errors.append(_("The sign-in form had expired. Please sign in again."))
    form.password.data = ""
    return render_template("auth/login.html", form=form, lang_form=LanguageForm())


def _throttled(form: LoginForm, attempt: throttle.Attempt):
    """How long to wait, and nothing about whether the account exists."""
    form.password.data = ""
    form.form_errors.append(
        _("Too many sign-in attempts. Try again in %(minutes)d minutes.", minutes=attempt.retry_after_minutes)
    )
    response = make_response(render_template("auth/login.html", form=form, lang_form=LanguageForm()), 429)
    response.headers["Retry-After"] = str(attempt.retry_after_seconds)
    return response


@bp.route("/logout", methods=["GET", "POST"])
@login_only
@once.exempt
def logout():
    if request.method == "GET":
        return render_template("auth/logout.html")
    username = current_user.username
    identity.end_session(current_user._get_current_object(), _("You have signed out."))
    log.info("logout user=%s", username)
    return redirect(url_for("auth.login"))


@bp.post("/language")
@public
@once.exempt
def language():
    form = LanguageForm()
    target = safe_next(form.next.data) or (
        url_for("reports.dashboard") if current_user.is_authenticated else url_for("auth.login")
    )
    if not form.validate_on_submit() or form.lang.data not in current_app.config["LANGUAGES"]:
        return redirect(target)
    if current_user.is_authenticated:
        services.set_locale(current_user._get_current_object(), form.lang.data)
        db.session.commit()
    else:
        session[SESSION_LANG] = form.lang.data
    return redirect(target)

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import identity, services, sessions, throttle
from app.auth.access import login_only
from app.auth.forms import ChangePasswordForm, ProfileForm, timezone_choices
from app.auth.views import bp
from app.core.errors import DomainError
from app.extensions import db


def _me():
    return current_user._get_current_object()


@bp.route("/account/", methods=["GET", "POST"])
@login_only
def account():
    me = _me()
    form = ProfileForm(obj=me)
    form.timezone.choices = timezone_choices(me.timezone)
    if form.validate_on_submit():
        try:
            services.update_profile(
                me,
                display_name=form.display_name.data,
                email=form.email.data,
                phone=form.phone.data,
                locale=form.locale.data,
                timezone=form.timezone.data,
            )
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Your settings have been saved."), "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        form=form,
        my_sessions=sessions.list_for(me.id),
        current_sid=session.sid,
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_only
def password_change():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        # A stolen session must not become a way to guess the password.
        attempt = throttle.begin((current_app.config["PASSWORD_CHANGE_LIMIT"], f"password-change:{_me().id}"))
        if not attempt.allowed:
            form.form_errors.append(
                _("Too many wrong passwords. Try again in %(minutes)d minutes.", minutes=attempt.retry_after_minutes)
            )
            return render_template("auth/password_change.html", form=form), 429
        try:
            services.change_own_password(
                _me(), form.current_password.data, form.new_password.data, keep_sid=session.sid
            )
        except services.WrongPasswordError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        except DomainError as exc:
            db.session.rollback()
            throttle.give_back(attempt)
            form.form_errors.append(str(exc))
        else:
            throttle.give_back(attempt)
            db.session.commit()
            identity.keep_session_after_password_change(_me())
            flash(_("Your password has been changed. Your other sessions were signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password_change.html", form=form)


@bp.post("/account/sessions/end-others")
@login_only
def account_sessions_end_others():
    count = sessions.end_all(_me().id, keep_sid=session.sid)
    flash(_("%(n)d other session(s) signed out.", n=count), "success")
    return redirect(url_for("auth.account"))

"""Public fair and campaign pages; organizer screens for fairs, booths and campaigns."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth import get_owned_or_404, role_required, safe_next
from marketplace.catalog.categories import CATEGORIES, category_label
from marketplace.database import utcnow
from marketplace.errors import Conflict, ValidationError, populate_errors
from marketplace.extensions import db
from marketplace.fairs import services
from marketplace.fairs.access import own_campaign_or_404, own_fair_or_404, visible_to
from marketplace.fairs.forms import (
    AddStallForm,
    ApplyForm,
    CampaignForm,
    DecisionForm,
    FairForm,
    choices,
)
from marketplace.fairs.models import Campaign, CampaignStall, Fair, FairStall
from marketplace.fairs.visits import remember_fair_visit
from marketplace.forms import EmptyForm

bp = Blueprint("fairs", __name__)

organizer_only = role_required("organizer")


def _own_participation(fs_id: int) -> FairStall:
    return get_owned_or_404(FairStall, fs_id, owner_id_of=lambda fs: fs.fair.organizer_id)


@bp.app_template_global()
def fairs_home() -> dict:
    """Open and upcoming fairs for the home page."""
    return services.home_fairs()


@bp.app_template_global()
def fairs_my_applications() -> list[FairStall]:
    """The logged-in seller's applications, for their panel."""
    return services.applications_of(current_user) if current_user.is_authenticated else []


@bp.app_template_global()
def fairs_my_pending_invitations() -> int:
    """How many fair and campaign invitations wait for the logged-in seller's answer."""
    if not (current_user.is_authenticated and current_user.is_seller):
        return 0
    return len(services.fair_invitations_of(current_user)) + sum(
        1 for cs in services.campaign_invitations_of(current_user) if cs.status == "invited")


@bp.app_template_global()
def fair_state(fair: Fair) -> str:
    return fair.state(utcnow())


# ---------------------------------------------------------------------------------------------
# Public pages


@bp.route("/fairs")
def index():
    listing = services.list_fairs(current_user)
    return render_template("fairs/index.html", listing=listing,
                           campaigns=services.public_campaigns())


def _my_stall_choices():
    return choices((s.id, s.name) for s in services.stalls_of(current_user))


def _filters_from_args() -> services.ProductFilters:
    ocop = request.args.get("ocop", "")
    return services.ProductFilters(
        q=request.args.get("q", "").strip()[:100],
        category=request.args.get("category", "").strip()[:40],
        certificate=request.args.get("certificate", "").strip()[:40],
        ocop=int(ocop) if ocop in ("3", "4", "5") else None,
    )


@bp.route("/fairs/<slug>")
def show(slug: str):
    fair = services.fair_by_slug(slug)
    if fair is None or not visible_to(fair, current_user):
        abort(404)
    state = fair.state(utcnow())
    if state == "open":
        remember_fair_visit(fair.id)
    filters = _filters_from_args()
    apply_form = None
    if current_user.is_authenticated and current_user.is_seller and state in ("upcoming", "open"):
        apply_form = ApplyForm()
        apply_form.stall_id.choices = _my_stall_choices()
    return render_template(
        "fairs/show.html", fair=fair, state=state, filters=filters,
        booths=services.accepted_participations(fair),
        products=services.fair_products(fair, filters),
        options=services.fair_filter_options(fair),
        apply_form=apply_form,
        my_applications=[a for a in services.applications_of(current_user) if a.fair_id == fair.id]
        if apply_form else [],
    )


@bp.post("/fairs/<slug>/apply")
@role_required("seller")
def apply(slug: str):
    fair = services.fair_by_slug(slug)
    if fair is None or not fair.published:
        abort(404)
    form = ApplyForm()
    form.stall_id.choices = _my_stall_choices()
    if form.validate_on_submit():
        try:
            services.apply_to_fair(current_user, fair, form.stall_id.data)
        except (ValidationError, Conflict) as exc:
            flash(exc.message, "error")
        else:
            flash(_("Đã gửi đăng ký tham gia. Ban tổ chức sẽ xếp gian và báo lại."), "success")
    return redirect(url_for("fairs.show", slug=fair.slug))


@bp.route("/campaigns/<slug>")
def campaign(slug: str):
    campaign = services.campaign_by_slug(slug)
    if campaign is None or not visible_to(campaign, current_user):
        abort(404)
    return render_template(
        "fairs/campaign.html", campaign=campaign, state=services.campaign_state(campaign),
        category_label=category_label,
        channels=dict(services.channel_choices()),
    )


# ---------------------------------------------------------------------------------------------
# Seller: invitations to fairs and campaigns


def _my_fair_invitation(fs_id: int) -> FairStall:
    fs = db.get_or_404(FairStall, fs_id)
    if fs.stall.owner_id != current_user.id:
        abort(404)
    return fs


def _my_campaign_invitation(campaign_id: int, stall_id: int) -> CampaignStall:
    cs = db.session.get(CampaignStall, (campaign_id, stall_id))
    if cs is None or cs.stall.owner_id != current_user.id:
        abort(404)
    return cs


@bp.route("/seller/invitations")
@role_required("seller")
def seller_invitations():
    return render_template(
        "fairs/invitations.html", fairs=services.fair_invitations_of(current_user),
        campaigns=services.campaign_invitations_of(current_user),
        campaign_state=services.campaign_state, form=EmptyForm(),
    )


@bp.post("/seller/invitations/fairs/<int:fs_id>/<any(accept, refuse):answer>")
@role_required("seller")
def answer_fair_invitation(fs_id: int, answer: str):
    fs = _my_fair_invitation(fs_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.answer_fair_invitation(fs, answer == "accept")
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        if answer == "accept":
            flash(_("Đã nhận lời: %(name)s tham gia %(fair)s ở gian số %(booth)s.",
                    name=fs.stall.name, fair=fs.fair.name, booth=fs.booth_number), "success")
        else:
            flash(_("Đã từ chối lời mời vào %(fair)s.", fair=fs.fair.name), "success")
    return redirect(url_for("fairs.seller_invitations"))


@bp.post("/seller/invitations/campaigns/<int:campaign_id>/<int:stall_id>/"
         "<any(join, decline):answer>")
@role_required("seller")
def answer_campaign_invitation(campaign_id: int, stall_id: int, answer: str):
    cs = _my_campaign_invitation(campaign_id, stall_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.answer_campaign_invitation(cs, answer == "join")
    if answer == "join":
        flash(_("%(name)s đã tham gia chiến dịch %(campaign)s.", name=cs.stall.name,
                campaign=cs.campaign.name), "success")
    else:
        flash(_("%(name)s không tham gia chiến dịch %(campaign)s.", name=cs.stall.name,
                campaign=cs.campaign.name), "success")
    return redirect(url_for("fairs.seller_invitations"))


# ---------------------------------------------------------------------------------------------
# Organizer: dashboard and fairs


def _render_dashboard(errors: dict | None = None, status: int = 200):
    fairs = services.organizer_fairs(current_user)
    campaigns = services.organizer_campaigns(current_user)
    return render_template(
        "fairs/dashboard.html", fairs=fairs, campaigns=campaigns,
        counts=services.booth_counts([f.id for f in fairs]),
        campaign_state=services.campaign_state,
        pending=services.pending_applications(current_user),
        errors=errors or {}, form=EmptyForm(),
    ), status


@bp.route("/organizer")
@organizer_only
def dashboard():
    return _render_dashboard()


def _fair_input(form: FairForm) -> services.FairInput:
    cover = form.cover.data
    return services.FairInput(
        name=form.name.data or "", slug=form.slug.data or "", venue=form.venue.data or "",
        address=form.address.data or "", description=form.description.data or "",
        starts_local=form.starts_at.data, ends_local=form.ends_at.data,
        published=form.published.data, public_board=form.public_board.data,
        cover=cover.read() if cover and getattr(cover, "filename", "") else None,
    )


@bp.route("/organizer/fairs/new", methods=["GET", "POST"])
@organizer_only
def new_fair():
    form = FairForm()
    if form.validate_on_submit():
        try:
            fair = services.save_fair(current_user, _fair_input(form))
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            flash(_("Đã tạo phiên chợ %(name)s.", name=fair.name), "success")
            return redirect(url_for("fairs.manage_fair", fair_id=fair.id))
    status = 400 if form.is_submitted() else 200
    return render_template("fairs/fair_form.html", form=form, fair=None), status


@bp.route("/organizer/fairs/<int:fair_id>/edit", methods=["GET", "POST"])
@organizer_only
def edit_fair(fair_id: int):
    fair = own_fair_or_404(fair_id)
    form = FairForm(data=None if request.method == "POST" else services.fair_form_values(fair))
    if form.validate_on_submit():
        try:
            services.save_fair(current_user, _fair_input(form), fair)
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            flash(_("Đã lưu phiên chợ."), "success")
            return redirect(url_for("fairs.manage_fair", fair_id=fair.id))
    status = 400 if form.is_submitted() else 200
    return render_template("fairs/fair_form.html", form=form, fair=fair), status


@bp.post("/organizer/fairs/<int:fair_id>/delete")
@organizer_only
def delete_fair(fair_id: int):
    fair = own_fair_or_404(fair_id)
    if EmptyForm().validate_on_submit():
        try:
            services.delete_fair(fair)
        except Conflict as exc:
            flash(exc.message, "error")
            return redirect(url_for("fairs.manage_fair", fair_id=fair.id))
        flash(_("Đã xoá phiên chợ."), "success")
    return redirect(url_for("fairs.dashboard"))


def _render_manage(fair: Fair, add_form: AddStallForm | None = None, errors: dict | None = None,
                   status: int = 200):
    if add_form is None:
        add_form = AddStallForm()
    add_form.stall_id.choices = choices(
        [(0, _("— Chọn gian hàng —"))] + [(s.id, s.name) for s in services.addable_stalls(fair)]
    )
    return render_template(
        "fairs/manage.html", fair=fair, state=fair.state(utcnow()),
        participations=services.participations_of(fair), add_form=add_form,
        errors=errors or {}, form=EmptyForm(),
    ), status


@bp.route("/organizer/fairs/<int:fair_id>")
@organizer_only
def manage_fair(fair_id: int):
    return _render_manage(own_fair_or_404(fair_id))


@bp.post("/organizer/fairs/<int:fair_id>/stalls")
@organizer_only
def add_stall(fair_id: int):
    fair = own_fair_or_404(fair_id)
    form = AddStallForm()
    if form.validate_on_submit():
        try:
            fs = services.invite_stall(fair, form.stall_id.data, form.booth_number.data)
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            if fs.status == "accepted":
                flash(_("Đã xếp %(name)s vào gian số %(booth)s.", name=fs.stall.name,
                        booth=fs.booth_number), "success")
            else:
                flash(_("Đã gửi lời mời %(name)s vào gian số %(booth)s. Gian hàng tham gia khi "
                        "người bán nhận lời.", name=fs.stall.name, booth=fs.booth_number),
                      "success")
            return redirect(url_for("fairs.manage_fair", fair_id=fair.id))
    return _render_manage(fair, add_form=form, status=400)


def _back_after_decision(fs: FairStall, errors: dict | None = None):
    """Return to the screen the decision was made on, with any error next to its row."""
    back = request.form.get("next", "")
    if errors:
        if back == "dashboard":
            return _render_dashboard(errors=errors, status=400)
        return _render_manage(fs.fair, errors=errors, status=400)
    if back == "dashboard":
        return redirect(url_for("fairs.dashboard"))
    return redirect(url_for("fairs.manage_fair", fair_id=fs.fair_id))


def _session_expired(fs: FairStall):
    flash(_("Phiên làm việc đã hết hạn. Vui lòng tải lại trang và thử lại."), "error")
    return _back_after_decision(fs)


@bp.post("/organizer/participations/<int:fs_id>/accept")
@organizer_only
def accept(fs_id: int):
    fs = _own_participation(fs_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _session_expired(fs)
    try:
        services.accept_application(fs, form.booth_number.data)
    except Conflict as exc:
        flash(exc.message, "error")
        return _back_after_decision(fs)
    except ValidationError as exc:
        return _back_after_decision(fs, {fs.id: {"booth_number": exc.reason,
                                                 "booth_value": form.booth_number.data}})
    flash(_("Đã nhận %(name)s vào gian số %(booth)s.", name=fs.stall.name,
            booth=fs.booth_number), "success")
    return _back_after_decision(fs)


@bp.post("/organizer/participations/<int:fs_id>/decline")
@organizer_only
def decline(fs_id: int):
    fs = _own_participation(fs_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _session_expired(fs)
    try:
        services.decline_application(fs, form.reason.data)
    except Conflict as exc:
        flash(exc.message, "error")
        return _back_after_decision(fs)
    except ValidationError as exc:
        return _back_after_decision(fs, {fs.id: {"reason": exc.reason,
                                                 "reason_value": form.reason.data}})
    flash(_("Đã từ chối %(name)s.", name=fs.stall.name), "success")
    return _back_after_decision(fs)


@bp.post("/organizer/participations/<int:fs_id>/remove")
@organizer_only
def remove_participation(fs_id: int):
    fs = _own_participation(fs_id)
    fair_id, name = fs.fair_id, fs.stall.name
    if EmptyForm().validate_on_submit():
        services.remove_participation(fs)
        flash(_("Đã đưa %(name)s ra khỏi phiên chợ.", name=name), "success")
    return redirect(url_for("fairs.manage_fair", fair_id=fair_id))


# ---------------------------------------------------------------------------------------------
# Organizer: campaigns


def _campaign_form(campaign: Campaign | None = None) -> CampaignForm:
    data = services.campaign_form_values(campaign) if campaign and request.method == "GET" else None
    if campaign is None and request.method == "GET":
        data = {"channels": list(services.CHANNELS)}
    form = CampaignForm(data=data)
    options = services.campaign_choices()
    form.categories.choices = choices((key, str(label)) for key, label in CATEGORIES)
    form.channels.choices = choices(services.channel_choices())
    form.stalls.choices = choices((s.id, s.name) for s in options["stalls"])
    form.products.choices = choices((p.id, f"{p.name} — {p.stall.name}")
                                    for p in options["products"])
    return form


def _campaign_input(form: CampaignForm) -> services.CampaignInput:
    return services.CampaignInput(
        name=form.name.data or "", slug=form.slug.data or "",
        description=form.description.data or "",
        starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        goal_weight=form.goal_weight.data, goal_unit=form.goal_unit.data or "kg",
        goal_vnd=form.goal_vnd.data,
        categories=form.categories.data or [], stall_ids=form.stalls.data or [],
        product_ids=form.products.data or [], channels=form.channels.data or [],
        published=form.published.data, public_board=form.public_board.data,
    )


def _save_campaign_view(campaign: Campaign | None):
    form = _campaign_form(campaign)
    if form.validate_on_submit():
        try:
            saved = services.save_campaign(current_user, _campaign_input(form), campaign)
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            flash(_("Đã lưu chiến dịch %(name)s.", name=saved.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("fairs.dashboard")))
    status = 400 if form.is_submitted() else 200
    return render_template("fairs/campaign_form.html", form=form, campaign=campaign), status


@bp.route("/organizer/campaigns/new", methods=["GET", "POST"])
@organizer_only
def new_campaign():
    return _save_campaign_view(None)


@bp.route("/organizer/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@organizer_only
def edit_campaign(campaign_id: int):
    return _save_campaign_view(own_campaign_or_404(campaign_id))


@bp.post("/organizer/campaigns/<int:campaign_id>/delete")
@organizer_only
def delete_campaign(campaign_id: int):
    campaign = own_campaign_or_404(campaign_id)
    if EmptyForm().validate_on_submit():
        services.delete_campaign(campaign)
        flash(_("Đã xoá chiến dịch."), "success")
    return redirect(url_for("fairs.dashboard"))

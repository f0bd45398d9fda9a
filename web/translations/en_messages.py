"""English UI strings (message ids are the Chinese originals).  Regenerate the catalogue with
`python web/translations/en_messages.py` after adding strings; it rewrites en/LC_MESSAGES/messages.po
and compiles messages.mo."""

EN = {
    "任务已完成：%(title)s": "Task completed: %(title)s",
    "已签收任务": "Task claimed",
    "劳动保障案件管理": "Labour Case Management",
    "待办": "Inbox",
    "案件": "Cases",
    "退出": "Log out",
    "状态": "Status",
    "流程": "Process",
    "当事人": "Parties",
    "仲裁请求": "Claims",
    "类型": "Type",
    "内容": "Description",
    "金额": "Amount",
    "待办任务": "Open tasks",
    "期限": "Deadline",
    "无": "None",
    "法定期限": "Statutory deadlines",
    "依据": "Legal basis",
    "起算日": "Start",
    "届满日": "Due",
    "办理记录": "History",
    "案号或标题": "Case number or title",
    "查询": "Search",
    "共 %(n)s 件": "%(n)s cases",
    "案号": "Case number",
    "标题": "Title",
    "更新时间": "Updated",
    "出错了": "Something went wrong",
    "返回待办": "Back to inbox",
    "全部": "All",
    "我签收的": "Claimed by me",
    "任务": "Task",
    "岗位": "Role",
    "办理期限": "Due",
    "签收人": "Assignee",
    "已签收": "Claimed",
    "未签收": "Unclaimed",
    "暂无待办任务。": "No open tasks.",
    "登录": "Log in",
    "工作人员须输入身份验证器中的6位动态验证码；当事人无需填写。": (
        "Staff enter the 6-digit code from their authenticator app; parties leave it empty."
    ),
    "该任务已办结。": "This task is closed.",
    "签收": "Claim",
    "提交": "Submit",
    "用户名或手机号": "Username or mobile number",
    "密码": "Password",
    "动态验证码": "One-time code",
    # role labels (workflows/roles.py)
    "劳动者": "Worker",
    "用人单位经办人": "Employer agent",
    "调解员": "Mediator",
    "书记员": "Clerk",
    "仲裁员": "Arbitrator",
    "仲裁委员会负责人": "Commission head",
    "劳动保障监察员": "Labour inspector",
    "信访工作人员": "Petition officer",
    "工伤认定经办人": "Work-injury officer",
    "科室负责人": "Supervisor",
    "系统管理员": "Administrator",
    "人民法院（系统对接）": "People's court (system)",
    "上传 PDF": "Upload PDF",
    "可信": "Trusted",
    "吊销": "Revoked",
    "否": "No",
    "完整": "Intact",
    "已吊销": "Revoked",
    "已撤销": "Withdrawn",
    "已被新文书取代": "Superseded by a new document",
    "扫描文书上的二维码，输入核验码，或上传 PDF 文件，核验文书是否由本机构签发、是否被篡改。": (
        "Scan the QR code on a document, enter its verification code, or upload the PDF "
        "to check that we issued it and that it has not been altered."
    ),
    "持有的文件须与上述 SHA-256 一致；可上传文件核验签章。": (
        "The file you hold must match the SHA-256 above; upload it to check its seals."
    ),
    "文书核验": "Verify a document",
    "文件在签章后被修改": "The file was modified after it was sealed",
    "时间戳": "Timestamp",
    "是": "Yes",
    "有效：已签发": "Valid: issued",
    "未吊销": "Not revoked",
    "未找到该核验码对应的文书": "No document has this verification code",
    "未知": "Unknown",
    "本机构记录": "Our record",
    "核验": "Verify",
    "核验未通过": "Verification failed",
    "核验码": "Verification code",
    "核验通过：签章有效，文书有效": "Verified: seals valid, document in force",
    "签发中，尚未生效": "Being issued, not yet in force",
    "签发时间": "Issued at",
    "签发机关": "Issuing body",
    "签章人": "Sealed / signed by",
    "签章有效，但本机构无此文书的有效记录": "Seals valid, but we hold no record of this document in force",
    "级别": "Level",
    "请选择要核验的 PDF 文件": "Choose the PDF file to verify",
    # display settings
    "大字版": "Large text",
    "标准字号": "Standard text",
    # worker portal: sign-up and own cases
    "我的案件": "My cases",
    "劳动者还没有账户？": "A worker without an account?",
    "注册": "Sign up",
    "已有账户？": "Already have an account?",
    "劳动者实名注册": "Worker sign-up with real name",
    "请填写本人姓名和公民身份号码，并用本人手机号接收验证码。注册后可在网上查看本人案件的办理进度。": (
        "Enter your own name and resident ID number, and receive the code on your own mobile phone. "
        "Once signed up you can follow your cases online."
    ),
    "姓名": "Full name",
    "公民身份号码": "Resident ID number",
    "手机号码": "Mobile number",
    "短信验证码": "SMS code",
    "确认密码": "Confirm password",
    "获取验证码": "Send code",
    "密码至少 10 个字符，不能全部是数字。今后用手机号和密码登录。": (
        "At least 10 characters, not only digits. You will log in with your mobile number and this password."
    ),
    "验证码已发送至 %(phone)s，%(minutes)s 分钟内有效。": (
        "Code sent to %(phone)s; valid for %(minutes)s minutes."
    ),
    "两次输入的密码不一致": "The two passwords differ",
    "请更正标出的内容": "Please correct the marked fields",
    "注册成功。今后请用手机号 %(phone)s 和密码登录。": (
        "You are signed up. From now on log in with your mobile number %(phone)s and your password."
    ),
    "您还没有案件。": "You have no cases yet.",
    "网上申请仲裁即将开放；现在可到劳动人事争议仲裁院窗口提出申请，受理后案件会显示在这里。": (
        "Online arbitration applications are coming soon; for now apply at the arbitration court's counter. "
        "Once accepted, your case shows up here."
    ),
}


def main() -> None:
    from pathlib import Path

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    folder = Path(__file__).parent / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(locale="en", domain="messages", project="laborcase")
    for msgid, text in EN.items():
        catalog.add(msgid, text)
    with open(folder / "messages.po", "wb") as f:
        write_po(f, catalog, omit_header=False)
    with open(folder / "messages.mo", "wb") as f:
        write_mo(f, catalog)


if __name__ == "__main__":
    main()

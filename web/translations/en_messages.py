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
    "流程图": "Process diagram",
    "撤回申请": "Withdraw the application",
    "在作出裁决前，您可以撤回申请。撤回后本案终结，正在办理的事项一并结束。": (
        "You may withdraw the application until it is decided. "
        "The case then ends, with everything still open."
    ),
    "撤回理由": "Reason for withdrawing",
    "已撤回申请，本案终结": "Application withdrawn; the case is closed",
    "已撤回": "Withdrawn",
    "当前环节": "Current step",
    "流程图查看器未安装（运行 scripts/bootstrap）。当前环节": (
        "The diagram viewer is not installed (run scripts/bootstrap). Current step"
    ),
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
        "Scan the QR code on a document, enter its verification code, or upload the PDF to check that "
        "we issued it and that it has not been altered."
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
    "大字版": "Large text",
    "标准字号": "Standard text",
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
    "%(amount)s 元": "CNY %(amount)s",
    "%(title)s已撤销": "%(title)s revoked",
    "%(who)s提交证据：%(file)s": "%(who)s submitted evidence: %(file)s",
    "18 位，见营业执照或“国家企业信用信息公示系统”": (
        "18 characters, on the business licence or in the National Enterprise Credit Information "
        "Publicity System"
    ),
    "← 我的案件": "← My cases",
    "一般选择劳动合同履行地或用人单位所在地的仲裁委员会。": (
        "Usually the commission where the labour contract was performed or where the employer is based."
    ),
    "上传": "Upload",
    "上传的文件合计超过 %(mb)s MB，没有保存任何内容。请减少文件数量或压缩后重新提交。": (
        "The files together exceed %(mb)s MB; nothing was saved. Send fewer or smaller files and submit "
        "again."
    ),
    "下一步": "Next step",
    "与营业执照上的名称一致": "As on the business licence",
    "中止": "Suspended",
    "为了安全，浏览器不会保留已选择的文件：请重新选择要上传的证据文件。": (
        "For security, browsers do not keep chosen files: please choose your evidence files again."
    ),
    "事实和理由": "Facts and reasons",
    "什么时候入职、做什么工作、每月工资多少、发生了什么事、您和单位怎么协商的": (
        "When you started, what work you did, your monthly wage, what happened, how you tried to settle it"
    ),
    "代理人": "Agent",
    "仲裁委员会": "Arbitration commission",
    "仲裁委员会决定不予受理": "The commission refused the application",
    "仲裁委员会决定受理（受理日期 %(date)s）": (
        "The commission accepted the application (accepted on %(date)s)"
    ),
    "仲裁委员会正在办理：%(title)s": "The commission is working on: %(title)s",
    "仲裁委员会正在处理，有进展会显示在这里。": (
        "The commission is working on your case; progress shows up here."
    ),
    "仲裁委员会通知补正申请材料": "The commission asked for missing application materials",
    "仲裁庭已组成": "The arbitration tribunal was formed",
    "仲裁庭开庭审理": "The tribunal held the hearing",
    "仲裁庭调解未达成协议": "Mediation by the tribunal did not reach an agreement",
    "仲裁申请书副本已送达被申请人": "The copy of the application was served on the respondent",
    "仲裁申请已提交，案号 %(number)s。仲裁委员会将在五日内决定是否受理，结果会显示在本页。": (
        "Application submitted, case number %(number)s. The commission decides within five days whether "
        "to accept it; the decision shows up on this page."
    ),
    "仲裁请求（您要求单位做什么）": "Claims (what you ask the employer to do)",
    "例如：工资条，证明2026年8月至10月未发工资": (
        "E.g. payslips, showing that wages for Aug–Oct 2026 were not paid"
    ),
    "例如：支付2026年8月至10月拖欠的工资": "E.g. pay the wages owed for August to October 2026",
    "其他": "Other",
    "具体内容": "Details",
    "写明对申请人各项请求的意见和理由，并上传证据。提交后不能修改；答辩书副本将送达申请人。": (
        "State your answer to each of the applicant's claims and your reasons, and upload your "
        "evidence. It cannot be changed once submitted; a copy is served on the applicant."
    ),
    "出具%(title)s（%(number)s）": "Issued %(title)s (%(number)s)",
    "办理中": "In progress",
    "办理经过": "What has happened",
    "加班费": "Overtime pay",
    "劳动人事争议仲裁委员会": "Labour and personnel dispute arbitration commission",
    "劳动合同、工资条、银行流水、考勤记录、聊天记录截图等。可以拍照上传。": (
        "Labour contract, payslips, bank statements, attendance records, chat screenshots and the like. "
        "Photos are fine."
    ),
    "单位住所（注册地或实际经营地址）": "Employer's address (registered or actual business address)",
    "单位名称": "Employer name",
    "单位名称或统一社会信用代码": "Employer name or unified social credit code",
    "只有劳动者本人可以在网上申请仲裁。": "Only workers can apply for arbitration online, for themselves.",
    "向哪个仲裁委员会申请": "Which arbitration commission",
    "在仲裁庭主持下达成调解协议": "Mediation agreement reached before the tribunal",
    "已结案": "Closed",
    "已被替代": "superseded",
    "开庭地点": "Hearing place",
    "开庭时间": "Hearing time",
    "开庭通知": "Hearing notice",
    "开庭通知：%(date)s %(time)s，地点 %(place)s": "Hearing notice: %(date)s %(time)s at %(place)s",
    "您是本案的": "You are the ",
    "您的住址": "Your address",
    "截止日期": "To",
    "拖欠工资": "Wage arrears",
    (
        "按顺序填写下面几部分。带 * 的必须填写。提交后，仲裁委员会在五日内决定是否受理，结果会显示"
        "在“我的案件”里。"
    ): (
        "Fill in the parts below in order; those marked * are required. The commission decides within "
        "five days whether to accept your application; the decision shows up under “My cases”."
    ),
    "提交仲裁申请": "Submit application",
    "提交仲裁申请，案号 %(number)s": "Application submitted, case number %(number)s",
    "提交答辩书": "Submit statement of defence",
    "文书": "Documents",
    "文书加盖电子印章，可扫描文书上的二维码核验真伪。": (
        "Documents carry an electronic seal; scan the QR code on a document to check it is genuine."
    ),
    "文件（PDF、JPG 或 PNG，每个不超过 %(mb)s MB）": "File (PDF, JPG or PNG, up to %(mb)s MB each)",
    "暂无文书。": "No documents yet.",
    "暂无证据。": "No evidence yet.",
    "未找到，或您无权查看。": "Not found, or you may not see it.",
    "查找": "Search",
    "案件已办结。文书可以在下面下载。": "The case is closed. Download its documents below.",
    "案件已结案": "Case closed",
    "每一项请求填一栏，不用的栏空着即可。金额单位为元。": (
        "One claim per box; leave unused boxes empty. Amounts in yuan."
    ),
    "没有找到匹配的单位，请在下面填写单位名称。": "No employer found; please type its name below.",
    "用于送达文书，请写到门牌号": "Where documents are served on you, down to the house number",
    "申请人": "Applicant",
    "申请人已补正申请材料": "The applicant supplied the missing materials",
    "申请人未到庭，按撤回仲裁申请处理": (
        "The applicant did not appear: treated as withdrawing the application"
    ),
    "申请人（您本人）": "Applicant (you)",
    "社会保险": "Social insurance",
    "第一步：查找用人单位": "Step 1: find your employer",
    "第三人": "Third party",
    "等待被申请人提交答辩书（收到仲裁申请书副本之日起十日内）": (
        "Waiting for the respondent's defence (within ten days of receiving the copy of the application)"
    ),
    "答辩书副本已送达申请人": "The copy of the defence was served on the applicant",
    "答辩书已提交（附证据 %(n)s 份），仲裁委员会将把副本送达申请人。": (
        "Defence submitted (with %(n)s pieces of evidence); the commission serves a copy on the applicant."
    ),
    "答辩意见": "Your answer",
    "答辩期届满，被申请人未提交答辩书": "The defence period ended without a defence from the respondent",
    "经济补偿": "Economic compensation",
    "统一社会信用代码（知道的话请填写）": "Unified social credit code (if you know it)",
    "网上申请劳动争议仲裁": "Apply for labour dispute arbitration",
    "补充证据": "Add evidence",
    "被申请人": "Respondent",
    "被申请人提交答辩书": "The respondent submitted its defence",
    "被申请人未到庭，缺席审理": "The respondent did not appear: heard in its absence",
    "被申请人（用人单位）": "Respondent (employer)",
    "裁决书已审批": "The award was approved",
    "证据": "Evidence",
    "证据 %(n)s": "Evidence %(n)s",
    "证据已提交：%(name)s": "Evidence submitted: %(name)s",
    "证据材料": "Evidence",
    "请在答辩期内提交答辩书（收到仲裁申请书副本之日起十日内，调解仲裁法第三十条）": (
        "Please submit your defence within the defence period (ten days from receiving the copy of the "
        "application, Labour Dispute Mediation and Arbitration Law art. 30)"
    ),
    "请您办理：%(title)s": "Your turn: %(title)s",
    (
        "请按时到庭并带齐证据原件。申请人无正当理由拒不到庭的，按撤回仲裁申请处理；被申请人无正当理"
        "由拒不到庭的，可以缺席裁决（调解仲裁法第三十六条）。"
    ): (
        "Please attend on time with the originals of your evidence. An applicant absent without good "
        "reason is treated as withdrawing; against an absent respondent an award may be made by default "
        "(art. 36)."
    ),
    "请求 %(n)s": "Claim %(n)s",
    "请求类型": "Type of claim",
    "请用自己的话写清楚经过": "Tell what happened, in your own words",
    "请选择": "Please choose",
    "请选择您的用人单位": "Choose your employer",
    "请选择文件": "Please choose a file",
    "请选择要上传的文件": "Choose the file to upload",
    "调解书已送达": "The mediation statement was served",
    "赔偿金": "Damages",
    "起始日期": "From",
    "输入单位名称中的几个字，或 18 位统一社会信用代码（见营业执照）。找不到也没关系，可以在下面直接填写。": (
        "Type a few characters of the employer's name, or its 18-character unified social credit code "
        "(on the business licence). If it is not found, just type it in below."
    ),
    "返回上一页": "Back",
    "返回我的案件": "Back to my cases",
    "这份证据证明什么": "What this evidence shows",
    "都不是，我在下面填写": "None of these; I type it below",
    "金额（元）": "Amount (yuan)",
    "（%(label)s，%(basis)s）": " (%(label)s, %(basis)s)",
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

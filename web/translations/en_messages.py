"""English UI strings (message ids are the Chinese originals).  Regenerate the catalogue with
`python web/translations/en_messages.py` after adding strings; it rewrites en/LC_MESSAGES/messages.po
and compiles messages.mo."""

EN = {
    # hearing calendar and scheduling (web/hearings.py)
    "%(start)s 至 %(end)s 间，场所空闲且仲裁庭全体成员均无其他开庭安排的时段：": (
        "Sessions from %(start)s to %(end)s when the room is free and no member of the tribunal "
        "sits in another hearing:"
    ),
    "上一周": "Previous week",
    "下一周": "Next week",
    "本周": "This week",
    "上午": "Morning",
    "下午": "Afternoon",
    "上午场 %(am)s 开始，下午场 %(pm)s 开始。": (
        "Morning sessions start at %(am)s, afternoon sessions at %(pm)s."
    ),
    "仲裁庭": "Tribunal",
    "休息日": "Rest day",
    "可选时段": "Free sessions",
    "周一": "Mon",
    "周二": "Tue",
    "周三": "Wed",
    "周四": "Thu",
    "周五": "Fri",
    "周六": "Sat",
    "周日": "Sun",
    "安排开庭": "Schedule the hearing",
    "已安排开庭：%(when)s，%(room)s；开庭通知书随后送达。": (
        "Hearing scheduled: %(when)s, %(room)s; the hearing notice follows."
    ),
    "开庭场所": "Hearing room",
    "开庭安排有误": "The hearing cannot be scheduled like this",
    "开庭排期": "Hearing calendar",
    "开庭日期": "Hearing date",
    "开庭通知书送达日期": "Hearing notice served on",
    "时段": "Session",
    "本委尚未设置开庭场所。": "The commission has no hearing rooms yet.",
    "本委暂无仲裁员账号。": "The commission has no arbitrator accounts yet.",
    "本案已预约 %(date)s %(session)s %(room)s；重新安排后，原预约即行释放。": (
        "This case holds %(date)s %(session)s in %(room)s; scheduling again releases it."
    ),
    "查看之后的时段": "Later sessions",
    "此期间没有可选时段。": "No free session in this period.",
    "请填写日期（YYYY-MM-DD）": "Enter a date (YYYY-MM-DD)",
    "请选择上午或下午": "Choose morning or afternoon",
    "请选择开庭场所": "Choose a hearing room",
    "选用": "Use",
    "已占用": "Taken",
    "通知书于 %(served)s 送达时，最早可于 %(date)s 开庭（%(basis)s：开庭五日前书面通知当事人）。": (
        "With the notice served on %(served)s, the hearing can be held on %(date)s at the earliest "
        "(%(basis)s: the parties are notified in writing five days before the hearing)."
    ),
    "预约并送达开庭通知书": "Book and serve the hearing notice",
    "首席仲裁员": "Presiding arbitrator",
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
    "仲裁庭已重新组成": "The arbitration tribunal was formed anew",
    "回避申请成立，将更换仲裁员": "The recusal request was granted; the arbitrator will be replaced",
    "回避申请被驳回": "The recusal request was refused",
    "准许延期开庭，将另行通知开庭时间": "The hearing is postponed; a new date will be notified",
    "不准许延期开庭，按原定时间开庭": "Postponement refused; the hearing goes ahead as notified",
    "仲裁庭裁决先予执行，移送人民法院执行": "Pre-judgment execution ordered and passed to the court",
    "先予执行申请被驳回": "The application for pre-judgment execution was refused",
    "当事人申请仲裁员回避": "A party asked for an arbitrator's recusal",
    "当事人申请延期开庭": "A party asked to postpone the hearing",
    "申请人申请先予执行": "The applicant applied for pre-judgment execution",
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
    # deadline oversight (web/oversight.py)
    "期限督办": "Deadline oversight",
    "已超期": "Overdue",
    "即将届满": "Due soon",
    "正常计算": "Running",
    "待审批": "Awaiting approval",
    "督办待处理": "Open escalations",
    "超期与即将届满的法定期限": "Overdue and due-soon statutory deadlines",
    "超期情况": "Overdue / left",
    "承办人": "Held by",
    "督办": "Escalation",
    "延长审限": "Extend the period",
    "已延长 %(n)s 日": "extended by %(n)s days",
    "超期 %(n)s 日": "%(n)s days overdue",
    "今日届满": "due today",
    "剩余 %(n)s 日": "%(n)s days left",
    "待处理": "Open",
    "已处理": "Handled",
    "可延长 %(n)s 日": "up to %(n)s days",
    "仅显示最紧急的 %(n)s 项。": "Only the %(n)s most urgent are shown.",
    "没有超期或即将届满的期限。": "No deadline is overdue or due soon.",
    "待负责人审批": "Awaiting the head's approval",
    "事项": "Matter",
    "已等待": "Waiting",
    "%(n)s 日": "%(n)s days",
    "没有待审批事项。": "Nothing awaits approval.",
    "请填写延长天数": "Enter the number of days",
    "已批准延长 %(days)s 日，届满日为 %(due)s": "Extension of %(days)s days approved; now due %(due)s",
    "批准延长": "Approve an extension",
    "尚可延长 %(n)s 日": "up to %(n)s more days",
    "延长天数": "Days",
    "理由": "Reason",
    # collective disputes (workflows/collective.py)
    "集体争议": "collective dispute",
    # portal correspondence: messages from the commission, electronic service, service ratings
    "%(n)s 分": "%(n)s points",
    "%(n)s 条未读": "%(n)s unread",
    "非常满意": "very satisfied",
    "满意": "satisfied",
    "基本满意": "fairly satisfied",
    "不满意": "dissatisfied",
    "非常不满意": "very dissatisfied",
    "与当事人的消息": "Messages with the parties",
    "仲裁委员会的消息": "Messages from the commission",
    "仲裁委员会给您发了 %(n)s 条消息，您还没有阅读。": (
        "The commission sent you %(n)s messages you have not read yet."
    ),
    "全体当事人": "All parties",
    "发给": "To",
    "发给全体当事人": "to all parties",
    "发给您": "to you",
    "发送回复": "Send reply",
    "发送消息": "Send message",
    "回复": "Reply",
    "回复仲裁委员会": "Reply to the commission",
    "回复已发送给仲裁委员会": "Your reply was sent to the commission",
    "尚未签收": "Not signed for yet",
    "差评": "Poor rating",
    "已签收。送达日期为 %(date)s，相关期限自次日起计算。": (
        "Signed for. The date of service is %(date)s; periods that run from service start the next day."
    ),
    "已读": "Read by",
    "您已签收，送达日期 %(date)s": "You signed for it; served on %(date)s",
    "您的回复": "Your reply",
    "意见": "Comment",
    "意见或建议（差评必填）": "Comments or suggestions (required for a poor rating)",
    "感谢您的评价": "Thank you for your rating",
    "我已阅读": "I have read it",
    "提交评价": "Submit rating",
    "文书送达": "Service of documents",
    "文号": "Document number",
    "暂无消息。": "No messages yet.",
    "服务环节": "Service step",
    "服务评价（好差评）": "Service ratings",
    "未读": "Unread",
    "消息内容（纯文本，当事人在网上案件页面查看）": (
        "Message (plain text; the parties read it on their online case page)"
    ),
    "消息已发送": "Message sent",
    "签收于": "Signed for on",
    "签收就是送达：您点击“签收本文书”的当天就是送达日期。": (
        "Signing for a document is its service: the day you click \u201cSign for this document\u201d "
        "is the date of service. "
    ),
    "答辩期、起诉期等期限从送达的第二天开始计算。请先下载并阅读文书，再签收。": (
        "Periods such as the time for a defence or to sue start on the next day. "
        "Download and read the document first, then sign for it."
    ),
    "签收情况": "Receipts",
    "签收本文书": "Sign for this document",
    "评价时间": "Rated on",
    "评分": "Score",
    "请为仲裁委员会已完成的服务环节打分，每个环节只能评价一次。": (
        "Please rate the steps the commission has completed for you; each step can be rated once. "
    ),
    "打 1 分或 2 分（差评）时，请写明不满意的原因。": (
        "With 1 or 2 points (a poor rating), say what you were not satisfied with."
    ),
    "送达日期": "Served on",
    "受理审查": "Review of the application",
    "开庭审理": "Hearing",
    "仲裁调解": "Mediation by the tribunal",
    "裁决": "Award",
    "调解": "Mediation",
    "回避申请已提交，仲裁委员会将在三个工作日内作出决定。": (
        "Your recusal request was sent; the commission decides within three working days."
    ),
    "延期开庭申请已提交，由仲裁委员会决定是否延期。": (
        "Your postponement request was sent; the commission decides whether to postpone."
    ),
    "请选择仲裁请求": "Choose the claims",
    "先予执行申请已提交，由仲裁庭裁决。": (
        "Your application for pre-judgment execution was sent; the tribunal decides."
    ),
    "向仲裁委员会提出申请": "Requests to the commission",
    "申请回避": "Ask for recusal",
    (
        "仲裁员是本案当事人或者与当事人、代理人有利害关系等情形的，您可以申请其回避，并说明理由（"
        "调解仲裁法第三十三条）。"
    ): (
        "If an arbitrator is a party, or is related to a party or an agent, you may ask that they "
        "withdraw, with your reasons (Mediation and Arbitration Law art. 33)."
    ),
    "申请回避的仲裁员": "Arbitrator to withdraw",
    "提交回避申请": "Send recusal request",
    "申请延期开庭": "Ask to postpone the hearing",
    ("有正当理由的，可以在开庭三日前申请延期开庭，是否延期由仲裁委员会决定（调解仲裁法第三十五条）。"): (
        "With good reason you may ask, at the latest three days before the hearing, that it be "
        "postponed; the commission decides (art. 35)."
    ),
    "提交延期申请": "Send postponement request",
    "申请先予执行": "Apply for pre-judgment execution",
    (
        "追索劳动报酬、工伤医疗费、经济补偿或者赔偿金，不先予执行将严重影响您生活的，可以申请先予"
        "执行，劳动者申请可以不提供担保（调解仲裁法第四十四条）。"
    ): (
        "For wages, work-injury medical expenses, economic compensation or damages, if waiting for "
        "the award would seriously affect your living, you may apply for pre-judgment execution; "
        "workers need give no security (art. 44)."
    ),
    "申请先予执行的请求": "Claims to execute in advance",
    "提交先予执行申请": "Send application",
    "目前进展": "Where it stands",
    (
        "调解协议约定支付劳动报酬、工伤医疗费、经济补偿或者赔偿金，用人单位在协议约定期限内不履行的，"
        "您可以持调解协议书依法向人民法院申请支付令（调解仲裁法第十六条），也可以申请仲裁。"
    ): (
        "The agreement provides for wages, work-injury medical expenses, economic compensation or "
        "damages: if the employer does not pay by the agreed date, you may apply to the court for a "
        "payment order with the agreement (art. 16), or apply for arbitration."
    ),
    # electronic labour contracts (web/contracts_employer.py, web/contracts_worker.py, /verify)
    "%(days)s 天内": "within %(days)s days",
    "下载合同": "Download the contract",
    "下载签署完成证明": "Download the completion certificate",
    "不定时工作制": "Flexible working hours",
    "不知道身份证号码时，按注册手机号码查找": (
        "Without the resident ID, the account is found by its phone number"
    ),
    "与劳动者实名注册的信息一致": "As in the worker's real-name registration",
    (
        "以下每一部分都是劳动合同法第十七条规定的必备条款，缺少任何一项都不能生成合同。"
        "合同生成后可预览，预览的 PDF 就是双方签署的文本。"
    ): (
        "Each part below is a mandatory clause of art. 17 of the Labour Contract Law; without any of "
        "them no contract is made. The preview PDF is exactly the text both parties sign."
    ),
    "以完成一定工作任务为期限": "Until a defined task is completed",
    "以本单位的电子印章签署此合同（附可信时间戳）。": (
        "Sign this contract with the employer's own electronic seal (with a trusted timestamp)."
    ),
    "休息休假": "Rest and leave",
    "住址": "Address",
    "住所": "Domicile",
    "作废合同": "Void the contract",
    "作废理由（劳动者签名前可作废）": "Reason for voiding (possible until the worker signs)",
    "先阅读合同全文（下方“查看合同”）。": 'Read the whole contract first ("View the contract" below).',
    "加盖单位电子印章": "Apply the employer's e-seal",
    "劳动保护": "Labour protection",
    "劳动保护、劳动条件和职业危害防护（劳动合同法第十七条第一款第八项）": (
        "Labour protection, working conditions and occupational hazards (art. 17 para. 1 item 8)"
    ),
    "劳动合同": "Labour contract",
    "劳动合同已作废。": "The contract has been voided.",
    "劳动合同已订立。": "The contract is concluded.",
    "劳动合同期限（劳动合同法第十七条第一款第三项）": "Term of the contract (art. 17 para. 1 item 3)",
    "劳动合同草稿已生成：请预览后发送给劳动者。": "Draft created: preview it, then send it to the worker.",
    "劳动报酬（劳动合同法第十七条第一款第六项）": "Pay (art. 17 para. 1 item 6)",
    "劳动条件": "Working conditions",
    "劳动者先签名，用人单位后盖章": "The worker signs first, then the employer seals",
    "劳动者已拒签": "Declined by the worker",
    "劳动者已签名": "Signed by the worker",
    "劳动者的姓名、住址和居民身份证号码（劳动合同法第十七条第一款第二项）": (
        "The worker's name, address and resident ID number (art. 17 para. 1 item 2)"
    ),
    "劳动者签名": "Worker signed",
    "劳动者（个人签名）": "Worker (personal signature)",
    "单位盖章": "Employer sealed",
    "发送后，劳动者会在其账号中看到签署流程说明（免费，可随时查看、下载、打印），核验身份后签名。": (
        "Once sent, the worker sees in their account how signing works (free of charge; view, "
        "download and print at any time), proves identity and signs."
    ),
    "发送给劳动者": "Send to the worker",
    "合同期限": "Term",
    "合同编号": "Contract number",
    "固定期限": "Fixed term",
    "如不同意合同内容，可以拒绝签署并说明理由。": "If you do not agree, you may decline to sign and say why.",
    "尚未签署": "Not signed yet",
    "居民身份证号码": "Resident ID number",
    "工作任务（以完成一定工作任务为期限）": "The task (for a task-based term)",
    "工作内容": "Duties",
    "工作内容和工作地点（劳动合同法第十七条第一款第四项）": "Work and place of work (art. 17 para. 1 item 4)",
    "工作地点": "Place of work",
    "工作地行政区划代码": "Region code of the place of work",
    "工作岗位": "Position",
    "工作时间和休息休假（劳动合同法第十七条第一款第五项）": (
        "Working time, rest and leave (art. 17 para. 1 item 5)"
    ),
    "工时制度": "Working-time system",
    "工资支付周期": "Pay period",
    "已作废": "Voided",
    "已加盖本单位电子印章，等待劳动者签名。": (
        "Sealed with the employer's e-seal; waiting for the worker's signature."
    ),
    "已发送给劳动者：劳动者将在其账号中看到签署流程并签名。": (
        "Sent to the worker, who will see in their account how to sign."
    ),
    "已订立": "Concluded",
    "已过期": "Expired",
    "待我签署": "To sign",
    "待签署": "Awaiting signature",
    "您已拒绝签署，理由已告知用人单位。": "You declined to sign; the employer has been told your reason.",
    "您已签名。用人单位盖章后合同订立，届时您会在此看到并可下载。": (
        "You have signed. Once the employer seals it the contract is concluded; you will see it here "
        "and can download it."
    ),
    "我已阅读并同意本合同，同意以电子方式签署": (
        "I have read and agree to this contract and to signing it electronically"
    ),
    "我的劳动合同": "My labour contracts",
    "或：注册手机号码": "Or: registered phone number",
    "拒绝签署": "Decline to sign",
    "拒绝签署的理由": "Reason for declining",
    "按半月": "Twice a month",
    "按周": "Weekly",
    "按日": "Daily",
    "按月": "Monthly",
    "按示范文本起草劳动合同": "Draft a contract from the model text",
    "无固定期限": "Open-ended",
    "月工资（元）": "Monthly pay (yuan)",
    "有效：双方已签署，合同已订立": "Valid: signed by both parties, the contract is concluded",
    "期限类型": "Kind of term",
    "查看合同": "View the contract",
    "标准工时制": "Standard working hours",
    "核验身份并签名": "Verify identity and sign",
    (
        "核验身份：点击“获取验证码”，我们向您注册的手机发送 6 位短信验证码；"
        "同时核对您实名注册的姓名和身份证号码与合同一致。核验记录会保存为签署证据。"
    ): (
        'Prove your identity: tap "Get code" and we text a 6-digit code to your registered phone; '
        "the name and resident ID of your real-name account are checked against the contract. The "
        "check is kept as evidence of the signature."
    ),
    "每月发薪日": "Payday of the month",
    "没有待签署的劳动合同。": "No contracts to sign.",
    "法定代表人或者主要负责人": "Legal representative or principal",
    "特殊工时审批文号（非标准工时制）": "Approval number (non-standard working hours)",
    "生成合同草稿": "Create the draft",
    "用于核对当地最低工资标准，如 110108": "To check the local minimum wage, e.g. 110108",
    "用人单位先盖章，劳动者后签名": "The employer seals first, then the worker signs",
    "用人单位加盖电子印章并加盖可信时间戳后，合同订立生效，您会在这里看到。": (
        "When the employer has applied its e-seal with a trusted timestamp, the contract takes effect; "
        "you will see it here."
    ),
    "用人单位已盖章": "Sealed by the employer",
    "用人单位的名称、住所和法定代表人或者主要负责人（劳动合同法第十七条第一款第一项）": (
        "The employer's name, domicile and legal representative or principal (art. 17 para. 1 item 1)"
    ),
    "用人单位（电子印章）": "Employer (e-seal)",
    "电子劳动合同": "Electronic labour contracts",
    "社会保险约定": "Social insurance",
    "社会保险（劳动合同法第十七条第一款第七项）": "Social insurance (art. 17 para. 1 item 7)",
    "签署": "Signing",
    "签署不收取任何费用。您可随时在本页免费查看、下载和打印合同，也可要求用人单位提供免费的盖章纸质文本。": (
        "Signing is free of charge. You can view, download and print the contract on this page at any "
        "time, free, and ask the employer for a free stamped paper copy."
    ),
    "签署人": "Signer",
    "签署完成，劳动合同已订立。您可随时免费查看、下载和打印。": (
        "Signed: the contract is concluded. You can view, download and print it at any time, free."
    ),
    "签署截止": "Sign by",
    "签署方": "Party",
    "签署时间": "Signed at",
    "签署期限": "Time to sign",
    "签署顺序": "Signing order",
    "签署须知": "How signing works",
    "终止日期（固定期限）": "End date (fixed term)",
    "综合计算工时工作制": "Comprehensive working hours",
    "职业危害防护": "Occupational hazard protection",
    "草稿": "Draft",
    "订立时间": "Concluded at",
    "试用期月工资（元）": "Monthly pay during probation (yuan)",
    "试用期（月）": "Probation (months)",
    "请先阅读合同，并勾选同意以电子方式签署": (
        "Read the contract and tick that you agree to sign electronically"
    ),
    "请在此前签署": "Please sign by",
    "请输入短信中的6位验证码": "Enter the 6-digit code from the text message",
    "起草劳动合同": "Draft a labour contract",
    "起草劳动合同（通用示范文本）": "Draft a labour contract (general model text)",
    "输入验证码并确认，即以您本人的电子签名签署合同。": (
        "Enter the code and confirm: you sign the contract with your own electronic signature."
    ),
    "还没有劳动合同。": "No labour contracts yet.",
    "还没有已订立的劳动合同。": "No concluded contracts yet.",
    "预览合同（PDF，即签署的文本）": "Preview (PDF: the text that is signed)",
    "验证码 %(minutes)s 分钟内有效。": "The code is valid for %(minutes)s minutes.",
    # bulk send of labour contracts from a spreadsheet (web/contract_batches.py)
    "上传并批量发送": "Upload and send",
    "上传时间": "Uploaded",
    "上传表格": "Upload a spreadsheet",
    "下载 CSV 示例": "Download the CSV sample",
    "下载 XLSX 示例": "Download the XLSX sample",
    "下载失败行（CSV，可修改后重新上传）": "Download the failed lines (CSV: correct them and upload again)",
    "仅显示前 %(shown)s 行，完整列表请下载 CSV。": (
        "Only the first %(shown)s lines are shown; download the CSV for all."
    ),
    "从表格批量发送": "Bulk send from a spreadsheet",
    "刷新": "Refresh",
    "发送中": "Sending",
    "合同模板": "Contract template",
    "合计": "Total",
    "后台正在逐行发送，本页会自动刷新。": (
        "Sending line by line in the background; this page refreshes itself."
    ),
    "失败": "Failed",
    "失败原因": "Reason",
    "失败的行": "Failed lines",
    "已发送": "Sent",
    "已完成": "Done",
    "已接收 %(total)s 行，正在后台逐行发送。": (
        "%(total)s lines received; they are being sent in the background."
    ),
    "待发送": "Pending",
    "批量发送劳动合同": "Bulk send of labour contracts",
    "批量发送记录": "Bulk sends",
    "批量发送进度": "Bulk send progress",
    "排队中": "Queued",
    "文件": "File",
    "最多 %(rows)s 行，不超过 %(mb)s MB；CSV 可为 UTF-8 或 GB18030（GBK）编码。": (
        "At most %(rows)s lines and %(mb)s MB; a CSV may be in UTF-8 or GB18030 (GBK)."
    ),
    "每行一份劳动合同：劳动者须已在本平台实名注册，按居民身份证号码或注册手机号码查找。"
    "每份合同都按劳动合同法第十七条核对必备条款，逐行起草并发送；有误的行不发送，列出原因。": (
        "One labour contract a line. Workers must have a real-name account here, found by resident ID "
        "number or registered phone. Each contract is checked for the mandatory clauses of Labour "
        "Contract Law art.17, then drafted and sent line by line; lines with errors are not sent and "
        "are listed with the reason."
    ),
    "没有失败的行。": "No failed lines.",
    "示例表格（列名与一行示例）：": "Sample spreadsheet (the column names and one example line):",
    "第 %(version)s 版": "version %(version)s",
    "行号": "Line",
    "表格中该列为空时使用": "Used where the spreadsheet leaves this column empty",
    "表格文件（CSV 或 XLSX）": "Spreadsheet (CSV or XLSX)",
    "请选择合同模板": "Choose a contract template",
    "请选择签署期限": "Choose the signing period",
    "请选择要上传的 CSV 或 XLSX 文件": "Choose the CSV or XLSX file to upload",
    "返回劳动合同列表": "Back to the labour contracts",
    "返回批量发送": "Back to bulk send",
    "还没有批量发送记录。": "No bulk sends yet.",
    "通用示范文本（首次使用时采用为本单位模板）": (
        "General model text (adopted as your template on first use)"
    ),
    # contract lifecycle: amendment, termination, renewal, paper copies (web/contract_lifecycle.py)
    "下载打印文件": "Download the print file",
    "仅由用人单位盖章": "Employer's seal only",
    "以下为劳动合同现行条款（含已生效的变更）。请只修改需要变更的内容：变更协议书列出每项变更前后的条款，"
    "由双方签署后生效（劳动合同法第三十五条）。必备条款不能删除，工资不得低于当地最低工资标准。": (
        "These are the contract's current terms (with the amendments in force). Change only what is to "
        "change: the amendment agreement lists each changed clause before and after, and takes effect once "
        "both parties have signed it (Labour Contract Law art. 35). Mandatory clauses cannot be removed, and "
        "pay may not fall below the local minimum wage."
    ),
    "以本单位的电子印章盖章出具此证明（附可信时间戳）；劳动者随即可在其劳动合同页面查看和下载。": (
        "Issue this certificate under your organisation's electronic seal (with a trusted timestamp); the "
        "worker can then view and download it on their contract page."
    ),
    "免费纸质文本": "Free paper copy",
    "关联文书": "Linked documents",
    "出具解除或者终止劳动合同的证明": "Issue a certificate of rescission or ending",
    "到用人单位领取": "Collect at the employer",
    "办理": "Action",
    "办理纸质文本申请": "Handle paper-copy requests",
    "劳动合同变更协议书": "Contract amendment agreement",
    "劳动报酬": "Pay",
    "劳动者要求纸质文本的，用人单位应免费提供加盖公章的纸质文本。下载打印文件（首页注明电子合同编号、"
    "核验码和核验网址），打印盖章后交付劳动者。": (
        "When a worker asks for a paper copy, the employer provides a stamped paper copy free of charge. "
        "Download the print file (its first page names the electronic contract's number, verification code "
        "and URL), print and stamp it, and hand it to the worker."
    ),
    "协商一致解除的，生成解除劳动合同协议书，由双方签署（劳动合同法第三十六条）。用人单位应在解除或者终止劳动合同时"
    "出具解除或者终止劳动合同的证明，由本单位盖章出具，劳动者可随时查看和下载（劳动合同法第五十条）。"
    "解除或终止后，劳动合同文本至少保存二年备查。": (
        "Rescission by agreement produces a rescission agreement signed by both parties (Labour Contract Law "
        "art. 36). When a contract is rescinded or ends, the employer issues a certificate under its seal, "
        "which the worker can view and download at any time (art. 50). After that the contract is kept for "
        "at least two years."
    ),
    "协商一致解除（双方签署协议书）": "Rescission by agreement (both sign an agreement)",
    "变更": "Amend",
    "变更劳动合同": "Amend the labour contract",
    "变更劳动合同（劳动合同变更协议书）": "Amend the labour contract (amendment agreement)",
    "变更协议书草稿已生成：请预览后发送给劳动者签署。": (
        "The amendment agreement is drafted: preview it, then send it to the worker to sign."
    ),
    "变更生效日期": "Amendment takes effect on",
    "只看待办": "Open requests only",
    "备注（如快递单号）": "Note (e.g. tracking number)",
    "工作交接": "Work handover",
    "已交付": "Handed over",
    "已交付劳动者": "Handed over to the worker",
    "已打印盖章": "Printed and stamped",
    "已撤回纸质文本申请。": "Paper-copy request withdrawn.",
    "已标记为交付劳动者。": "Marked as handed over to the worker.",
    "已标记为打印盖章。": "Marked as printed and stamped.",
    "已申请": "Requested",
    "已申请纸质文本：用人单位打印盖章后免费交付给您。": (
        "Paper copy requested: the employer prints and stamps it and gives it to you free of charge."
    ),
    "您可以要求用人单位免费提供加盖公章的纸质文本，到单位领取或邮寄给您。": (
        "You can ask the employer for a stamped paper copy free of charge, to collect or to be mailed to you."
    ),
    "所属劳动合同：": "Belongs to labour contract: ",
    "新的合同期限": "New term",
    "新的月工资（元，不变则留空）": "New monthly pay (yuan; leave empty if unchanged)",
    "方式": "How",
    "方式和依据": "How and on what legal basis",
    "暂无变更、解除（终止）或续订文书。": "No amendment, termination or renewal documents yet.",
    "最后工作日": "Last working day",
    "本劳动合同已于 %(day)s 解除或者终止。": "This labour contract was rescinded or ended on %(day)s.",
    "查看全部": "Show all",
    "没有待办的纸质文本申请。": "No open paper-copy requests.",
    "法律依据（出具证明时选择；协商一致解除为第三十六条）": (
        "Legal basis (for a certificate; rescission by agreement is art. 36)"
    ),
    "生成变更协议书草稿": "Draft the amendment agreement",
    "生成续订合同草稿": "Draft the renewed contract",
    "生成草稿": "Draft",
    "生效和签署": "Effect and signing",
    "申请免费纸质文本": "Request a free paper copy",
    "申请时间": "Requested at",
    "盖章出具证明": "Seal and issue the certificate",
    "第三十六条：用人单位与劳动者协商一致，解除劳动合同": (
        "Art. 36: rescission by agreement of employer and worker"
    ),
    "第三十七条：劳动者提前三十日以书面形式通知用人单位，解除劳动合同": (
        "Art. 37: the worker rescinds with 30 days' written notice"
    ),
    "第三十八条：用人单位有法定情形，劳动者解除劳动合同": (
        "Art. 38: the worker rescinds because of the employer's statutory faults"
    ),
    "第三十九条：劳动者有法定过失情形，用人单位解除劳动合同": (
        "Art. 39: the employer rescinds because of the worker's statutory faults"
    ),
    "第四十条：无过失性辞退（提前三十日书面通知或者额外支付一个月工资）": (
        "Art. 40: dismissal without fault (30 days' written notice or one month's extra pay)"
    ),
    "第四十一条：经济性裁员": "Art. 41: economic redundancy",
    "第四十四条：劳动合同期满或者其他法定终止情形，劳动合同终止": (
        "Art. 44: the contract ends on expiry or another statutory ground"
    ),
    "签署（协商一致解除时）": "Signing (rescission by agreement)",
    "纸质文本申请": "Paper-copy requests",
    "纸质文本申请：": "Paper-copy requests: ",
    "经济补偿（元，劳动合同法第四十六条、第四十七条；无则留空）": (
        "Economic compensation (yuan, Labour Contract Law arts. 46-47; leave empty if none)"
    ),
    "续订": "Renew",
    "续订劳动合同": "Renew the labour contract",
    "续订劳动合同草稿已生成：请预览后发送给劳动者签署。": (
        "The renewed contract is drafted: preview it, then send it to the worker to sign."
    ),
    "续订合同以现行条款（含已生效的变更）为基础，约定新的合同期限，不再约定试用期（劳动合同法第十九条）。"
    "续订合同由双方签署后订立，并办理用工备案。": (
        "A renewed contract takes the current terms (with the amendments in force) with a new term and no "
        "new probation (Labour Contract Law art. 19). It is concluded once both sign, and filed."
    ),
    "编号": "Number",
    "解除劳动合同协议书草稿已生成：请预览后发送给劳动者签署。": (
        "The rescission agreement is drafted: preview it, then send it to the worker to sign."
    ),
    "解除或终止": "Rescind or end",
    "解除或终止劳动合同": "Rescind or end the labour contract",
    "解除或者终止的原因": "Reason for rescission or ending",
    "解除（终止）劳动合同": "Rescission (ending) of the labour contract",
    "解除（终止）劳动合同证明草稿已生成：请预览后盖章出具。": (
        "The certificate of rescission (ending) is drafted: preview it, then seal and issue it."
    ),
    "证明已盖章出具，劳动者可在其劳动合同页面查看和下载。": (
        "The certificate is sealed and issued; the worker can view and download it on their contract page."
    ),
    "邮寄": "By mail",
    "邮寄地址、收件人和电话（邮寄时填写）": "Mailing address, recipient and phone (for mail)",
    "领取方式": "Delivery",
    # contract templates (web/contract_templates.py)
    "代码": "Code",
    "以下条款由系统保留在合同末尾，不能修改：": (
        "This article is kept at the end of the contract by the system and cannot be changed:"
    ),
    "以此为基础": "Start from",
    "使用中": "In use",
    "保存为新版本": "Save as a new version",
    "保存人": "Saved by",
    "保存后成为新版本，已起草的合同仍使用原版本。每段一行；必备条款的章节和默认约定不能删除或留空。": (
        "Saving creates a new version; contracts already drafted keep theirs. One paragraph per "
        "line; the sections and defaults of mandatory clauses cannot be removed or left empty."
    ),
    "保存时间": "Saved at",
    "修改劳动合同模板": "Edit contract template",
    "修改（保存为新版本）": "Edit (saved as a new version)",
    "停用后不能再用此模板起草新合同；已起草和已订立的合同不受影响。": (
        "Once retired, the template can no longer be used for new contracts; contracts already "
        "drafted or concluded are not affected."
    ),
    "停用模板": "Retire template",
    "其他约定与结尾条款": "Other terms and closing articles",
    "其他约定（每行一条）": "Other terms (one per line)",
    "副标题": "Subtitle",
    "劳动合同模板": "Contract templates",
    "劳动合同（通用示范文本）": "Labour contract (general model text)",
    "复制：%(title)s": "Copy: %(title)s",
    "已保存为第 %(version)s 版；已起草的合同仍使用原版本。": (
        "Saved as version %(version)s; contracts already drafted keep their version."
    ),
    "已停用": "Retired",
    "已新建合同模板：请修改条款后保存。": "Template created: edit its clauses and save.",
    "序言": "Preamble",
    "恢复使用": "Restore",
    "新建模板": "New template",
    "最新版本": "Latest version",
    "条款": "Clauses",
    "条款正文": "Clause text",
    "条款默认约定（起草合同时可逐份修改）": "Clause defaults (can be changed in each contract)",
    "标题与序言": "Title and preamble",
    "模板": "Template",
    (
        "模板可修改合同正文和条款的默认约定，但不能删除或留空劳动合同法第十七条规定的必备条款。"
        "每次保存都是一个新版本，已起草的合同仍使用原版本。"
    ): (
        "A template may change the contract text and the clause defaults, but not remove or empty a"
        " mandatory clause of Labour Contract Law art. 17. Each save is a new version; contracts "
        "already drafted keep theirs."
    ),
    "模板已停用：不能再用它起草新合同，已起草的合同不受影响。": (
        "Template retired: it can no longer be used for new contracts; drafted contracts are not affected."
    ),
    "模板已恢复使用。": "Template restored.",
    "模板标题（合同名称）": "Template title (contract name)",
    "此模板已停用，不能用于起草新合同。": "This template is retired and cannot be used for new contracts.",
    "版本": "Version",
    "版本历史": "Version history",
    "章节标题": "Section heading",
    "管理合同模板": "Manage contract templates",
    "结尾条款": "Closing articles",
    "还没有本单位的合同模板：可按通用示范文本新建。": (
        "No templates of your own yet: create one from the model text."
    ),
    "预览": "Preview",
    "预览（样本 PDF，与正式合同排版相同）": "Preview (sample PDF, laid out as the real contract)",
    "（不预设）": "(no default)",
    "每日工作时间（小时，标准工时制）": "Hours per day (standard working time)",
    "每周工作时间（小时，标准工时制）": "Hours per week (standard working time)",
    "其他劳动报酬约定": "Other pay terms",
    # choosing the template of a new contract (web/contracts_employer.py)
    "使用模板：": "Template:",
    "通用示范文本": "Model contract",
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
